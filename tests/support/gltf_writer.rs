//! A minimal glTF 2.0 writer for tests and the demo set: accessors, buffer views, PNG images in
//! one binary buffer, and the JSON arrays written as given. Output as `.gltf` with the buffer
//! embedded as a base64 data URI, or as `.glb` (spec section 4.4).
#![allow(dead_code)]

use serde_json::{Value, json};

/// A glTF document being built.
#[derive(Default)]
pub struct GltfWriter {
    pub bin: Vec<u8>,
    pub views: Vec<Value>,
    pub accessors: Vec<Value>,
    pub meshes: Vec<Value>,
    pub materials: Vec<Value>,
    pub textures: Vec<Value>,
    pub samplers: Vec<Value>,
    pub images: Vec<Value>,
    pub nodes: Vec<Value>,
    /// Root nodes of scene 0 (all nodes without a parent when empty).
    pub roots: Vec<usize>,
    pub extensions_used: Vec<String>,
    pub extensions_required: Vec<String>,
    /// Extra top-level members (e.g. `extensions` with `KHR_lights_punctual`).
    pub extra: serde_json::Map<String, Value>,
}

fn align4(v: &mut Vec<u8>) {
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
}

impl GltfWriter {
    /// Appends `bytes` to the binary buffer (4-byte aligned) as a new buffer view (with `target`,
    /// e.g. 34962 for vertices); its index.
    pub fn view(&mut self, bytes: &[u8], target: Option<u32>) -> usize {
        align4(&mut self.bin);
        let mut v = json!({"buffer": 0, "byteOffset": self.bin.len(), "byteLength": bytes.len()});
        if let Some(t) = target {
            v["target"] = json!(t);
        }
        self.bin.extend_from_slice(bytes);
        self.views.push(v);
        self.views.len() - 1
    }

    /// A float accessor of `n` components per element (`"VEC3"` etc.), with min/max for positions.
    pub fn floats(&mut self, data: &[f32], n: usize, ty: &str) -> usize {
        let bytes: Vec<u8> = data.iter().flat_map(|f| f.to_le_bytes()).collect();
        let view = self.view(&bytes, Some(34962));
        let count = data.len() / n;
        let mut acc =
            json!({"bufferView": view, "componentType": 5126, "count": count, "type": ty});
        if ty == "VEC3" {
            let mut lo = vec![f32::MAX; 3];
            let mut hi = vec![f32::MIN; 3];
            for e in data.chunks(3) {
                for k in 0..3 {
                    lo[k] = lo[k].min(e[k]);
                    hi[k] = hi[k].max(e[k]);
                }
            }
            acc["min"] = json!(lo);
            acc["max"] = json!(hi);
        }
        self.accessors.push(acc);
        self.accessors.len() - 1
    }

    /// An unsigned-int index accessor.
    pub fn indices(&mut self, data: &[u32]) -> usize {
        let bytes: Vec<u8> = data.iter().flat_map(|f| f.to_le_bytes()).collect();
        let view = self.view(&bytes, Some(34963));
        self.accessors.push(json!({"bufferView": view, "componentType": 5125, "count": data.len(), "type": "SCALAR"}));
        self.accessors.len() - 1
    }

    /// A PNG image stored in the buffer.
    pub fn png(&mut self, img: &image::RgbaImage) -> usize {
        let mut bytes = Vec::new();
        img.write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .expect("PNG encodes");
        let view = self.view(&bytes, None);
        self.images
            .push(json!({"bufferView": view, "mimeType": "image/png"}));
        self.images.len() - 1
    }

    /// A mesh with one triangle primitive: positions, normals, uvs (may be empty), indices.
    pub fn mesh(
        &mut self,
        positions: &[f32],
        normals: &[f32],
        uvs: &[f32],
        indices: &[u32],
        material: Option<usize>,
    ) -> usize {
        let mut attributes = serde_json::Map::new();
        attributes.insert("POSITION".into(), json!(self.floats(positions, 3, "VEC3")));
        if !normals.is_empty() {
            attributes.insert("NORMAL".into(), json!(self.floats(normals, 3, "VEC3")));
        }
        if !uvs.is_empty() {
            attributes.insert("TEXCOORD_0".into(), json!(self.floats(uvs, 2, "VEC2")));
        }
        let mut prim = json!({"attributes": attributes});
        if !indices.is_empty() {
            prim["indices"] = json!(self.indices(indices));
        }
        if let Some(m) = material {
            prim["material"] = json!(m);
        }
        self.meshes.push(json!({"primitives": [prim]}));
        self.meshes.len() - 1
    }

    pub fn node(&mut self, node: Value) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn root(&self, buffer: Value) -> Value {
        let mut r = json!({
            "asset": {"version": "2.0", "generator": "Parallax test writer"},
            "buffers": [buffer],
            "bufferViews": self.views,
            "accessors": self.accessors,
        });
        let o = r.as_object_mut().expect("object");
        let mut put = |k: &str, v: &Vec<Value>| {
            if !v.is_empty() {
                o.insert(k.into(), json!(v));
            }
        };
        put("meshes", &self.meshes);
        put("materials", &self.materials);
        put("textures", &self.textures);
        put("samplers", &self.samplers);
        put("images", &self.images);
        put("nodes", &self.nodes);
        if !self.nodes.is_empty() {
            let roots: Vec<usize> = if self.roots.is_empty() {
                let mut child = vec![false; self.nodes.len()];
                for n in &self.nodes {
                    for c in n["children"].as_array().into_iter().flatten() {
                        child[c.as_u64().unwrap_or(0) as usize] = true;
                    }
                }
                (0..self.nodes.len()).filter(|i| !child[*i]).collect()
            } else {
                self.roots.clone()
            };
            o.insert("scenes".into(), json!([{"nodes": roots}]));
            o.insert("scene".into(), json!(0));
        }
        if !self.extensions_used.is_empty() {
            o.insert("extensionsUsed".into(), json!(self.extensions_used));
        }
        if !self.extensions_required.is_empty() {
            o.insert("extensionsRequired".into(), json!(self.extensions_required));
        }
        for (k, v) in &self.extra {
            o.insert(k.clone(), v.clone());
        }
        r
    }

    /// The document as `.gltf` JSON with the buffer embedded (base64 data URI).
    pub fn to_gltf(&self) -> String {
        let mut bin = self.bin.clone();
        align4(&mut bin);
        let uri = format!("data:application/octet-stream;base64,{}", base64(&bin));
        serde_json::to_string_pretty(&self.root(json!({"byteLength": bin.len(), "uri": uri})))
            .expect("JSON")
    }

    /// The document as the JSON value (buffer embedded), to break on purpose in tests.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.to_gltf()).expect("JSON")
    }

    /// The document as `.glb`: header, JSON chunk (space-padded), BIN chunk (zero-padded).
    pub fn to_glb(&self) -> Vec<u8> {
        let mut bin = self.bin.clone();
        align4(&mut bin);
        let mut json =
            serde_json::to_vec(&self.root(json!({"byteLength": bin.len()}))).expect("JSON");
        while !json.len().is_multiple_of(4) {
            json.push(b' ');
        }
        let total = 12 + 8 + json.len() + 8 + bin.len();
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(b"glTF");
        out.extend_from_slice(&2u32.to_le_bytes());
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(b"JSON");
        out.extend_from_slice(&json);
        out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
        out.extend_from_slice(b"BIN\0");
        out.extend_from_slice(&bin);
        out
    }
}

/// Standard base64 (RFC 4648) with padding.
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= c.len() {
                s.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}
