//! Tracking settings of a camera in the stage file.

use serde::{Deserialize, Serialize};

/// How a camera is tracked (stage file: `cameras[..].tracking`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraTracking {}
