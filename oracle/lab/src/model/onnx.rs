//! ONNX export (hand-built `ModelProto`, EZKL-friendly); inference is `veriregime_core`'s
//! [`OnnxModel`].
//!
//! Graph (opset 13, IR version 8), for hidden layer `l`:
//! `h = Gemm(x, fc{l}.weight, fc{l}.bias, transB=1)`, then
//! `y = Add(Mul(Mul(h, h), act{l}.a), Mul(h, act{l}.b))`; the last layer is a Gemm to `output`.
//! Input `input` `[1, 420]` f32, output `output` `[1, 3]` logits. Only Gemm, Mul and Add.

use super::net::Net;
use super::student::{Activation, Student, StudentConfig, N_CLASSES};
use super::teacher::Teacher;
use prost::Message;
use std::collections::HashMap;
use std::path::Path;
use tract_onnx::pb;
pub use veriregime_core::model::onnx::{sha256_file, sha256_hex, OnnxModel, INPUT_NAME, OUTPUT_NAME};

pub const ONNX_OPSET: i64 = 13;
pub const ONNX_IR_VERSION: i64 = 8;

fn value_info(name: &str, dims: &[i64]) -> pb::ValueInfoProto {
    use pb::tensor_shape_proto::{dimension::Value, Dimension};
    pb::ValueInfoProto {
        name: name.to_string(),
        r#type: Some(pb::TypeProto {
            denotation: String::new(),
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: pb::tensor_proto::DataType::Float as i32,
                shape: Some(pb::TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| Dimension { denotation: String::new(), value: Some(Value::DimValue(d)) })
                        .collect(),
                }),
            })),
        }),
        doc_string: String::new(),
    }
}

fn initializer(name: &str, dims: &[usize], data: &[f32]) -> pb::TensorProto {
    pb::TensorProto {
        name: name.to_string(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: pb::tensor_proto::DataType::Float as i32,
        raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn node(op: &str, name: &str, inputs: &[&str], output: &str, attrs: Vec<pb::AttributeProto>) -> pb::NodeProto {
    pb::NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.to_string()],
        name: name.to_string(),
        op_type: op.to_string(),
        attribute: attrs,
        ..Default::default()
    }
}

fn attr_int(name: &str, v: i64) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.to_string(),
        r#type: pb::attribute_proto::AttributeType::Int as i32,
        i: v,
        ..Default::default()
    }
}

fn attr_float(name: &str, v: f32) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.to_string(),
        r#type: pb::attribute_proto::AttributeType::Float as i32,
        f: v,
        ..Default::default()
    }
}

/// The ONNX model of a student (batch dimension fixed at 1).
pub fn to_onnx_proto(student: &Student) -> anyhow::Result<pb::ModelProto> {
    let cfg = &student.config;
    let n_layers = cfg.hidden.len() + 1;
    let initializers: Vec<pb::TensorProto> =
        student.params()?.iter().map(|(name, dims, data)| initializer(name, dims, data)).collect();
    let mut nodes = Vec::new();
    let mut x = INPUT_NAME.to_string();
    for l in 1..=n_layers {
        let fc = format!("fc{l}");
        let out = if l == n_layers { OUTPUT_NAME.to_string() } else { format!("{fc}.out") };
        nodes.push(node(
            "Gemm",
            &fc,
            &[&x, &format!("{fc}.weight"), &format!("{fc}.bias")],
            &out,
            vec![attr_float("alpha", 1.0), attr_float("beta", 1.0), attr_int("transA", 0), attr_int("transB", 1)],
        ));
        x = out;
        if l < n_layers {
            let act = format!("act{l}");
            let y = format!("{act}.out");
            match cfg.activation {
                Activation::Quadratic => {
                    let (sq, sqa, xb) = (format!("{act}.sq"), format!("{act}.sq_a"), format!("{act}.x_b"));
                    nodes.push(node("Mul", &format!("{act}/sq"), &[&x, &x], &sq, vec![]));
                    nodes.push(node("Mul", &format!("{act}/sq_a"), &[&sq, &format!("{act}.a")], &sqa, vec![]));
                    nodes.push(node("Mul", &format!("{act}/x_b"), &[&x, &format!("{act}.b")], &xb, vec![]));
                    nodes.push(node("Add", &format!("{act}/add"), &[&sqa, &xb], &y, vec![]));
                }
                Activation::Square => nodes.push(node("Mul", &format!("{act}/sq"), &[&x, &x], &y, vec![])),
                Activation::Relu => nodes.push(node("Relu", &format!("{act}/relu"), &[&x], &y, vec![])),
                Activation::Silu => {
                    let sig = format!("{act}.sigmoid");
                    nodes.push(node("Sigmoid", &format!("{act}/sigmoid"), &[&x], &sig, vec![]));
                    nodes.push(node("Mul", &format!("{act}/mul"), &[&x, &sig], &y, vec![]));
                }
            }
            x = y;
        }
    }
    let graph = pb::GraphProto {
        node: nodes,
        name: "veriregime_student".into(),
        initializer: initializers,
        input: vec![value_info(INPUT_NAME, &[1, cfg.input as i64])],
        output: vec![value_info(OUTPUT_NAME, &[1, N_CLASSES as i64])],
        doc_string: format!(
            "VeriRegime student MLP {} -> {:?} -> 3, activation {}; logits of SELL, HOLD, BUY",
            cfg.input,
            cfg.hidden,
            cfg.activation.describe()
        ),
        ..Default::default()
    };
    let mut meta = vec![pb::StringStringEntryProto { key: "hidden".into(), value: serde_json::to_string(&cfg.hidden)? }];
    // Written only for the ablation's activations, so the shipped student's file is unchanged.
    if cfg.activation != Activation::Quadratic {
        meta.push(pb::StringStringEntryProto { key: "activation".into(), value: serde_json::to_string(&cfg.activation)? });
    }
    Ok(model_proto(graph, meta))
}

/// A model of opset [`ONNX_OPSET`], IR [`ONNX_IR_VERSION`], produced by this crate.
fn model_proto(graph: pb::GraphProto, metadata_props: Vec<pb::StringStringEntryProto>) -> pb::ModelProto {
    pb::ModelProto {
        ir_version: ONNX_IR_VERSION,
        opset_import: vec![pb::OperatorSetIdProto { domain: String::new(), version: ONNX_OPSET }],
        producer_name: "veriregime".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        graph: Some(graph),
        metadata_props,
        ..Default::default()
    }
}

fn attr_ints(name: &str, v: &[i64]) -> pb::AttributeProto {
    pb::AttributeProto {
        name: name.to_string(),
        r#type: pb::attribute_proto::AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn int64_initializer(name: &str, data: &[i64]) -> pb::TensorProto {
    pb::TensorProto {
        name: name.to_string(),
        dims: vec![data.len() as i64],
        data_type: pb::tensor_proto::DataType::Int64 as i32,
        raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

/// The ONNX model of the teacher (batch dimension fixed at 1), batch norm folded into the
/// convolutions (inference mode, exact up to float rounding):
/// `Reshape([-1, 60, 7]) -> Transpose([0, 2, 1]) -> {Conv(same) -> Relu -> MaxPool(2)} x 2 ->
/// GlobalAveragePool -> Flatten -> Gemm(transB=1)`. Input `input` `[1, 420]` (time-major, as
/// every model here), output `output` `[1, 3]`.
pub fn teacher_onnx_proto(teacher: &Teacher) -> anyhow::Result<pb::ModelProto> {
    let cfg = &teacher.config;
    let mut inits = vec![int64_initializer("shape", &[-1, cfg.window as i64, cfg.features as i64])];
    let mut nodes = vec![
        node("Reshape", "reshape", &[INPUT_NAME, "shape"], "x_tc", vec![]),
        node("Transpose", "transpose", &["x_tc"], "x_ct", vec![attr_ints("perm", &[0, 2, 1])]),
    ];
    let mut x = "x_ct".to_string();
    for (l, (dims, w, b)) in teacher.folded_convs()?.into_iter().enumerate() {
        let l = l + 1;
        let k = dims[2] as i64;
        inits.push(initializer(&format!("conv{l}.weight"), &dims, &w));
        inits.push(initializer(&format!("conv{l}.bias"), &[dims[0]], &b));
        let (c, r, m) = (format!("conv{l}.out"), format!("relu{l}.out"), format!("pool{l}.out"));
        nodes.push(node(
            "Conv",
            &format!("conv{l}"),
            &[&x, &format!("conv{l}.weight"), &format!("conv{l}.bias")],
            &c,
            vec![attr_ints("kernel_shape", &[k]), attr_ints("pads", &[k / 2, k / 2]), attr_ints("strides", &[1]), attr_ints("dilations", &[1])],
        ));
        nodes.push(node("Relu", &format!("relu{l}"), &[&c], &r, vec![]));
        nodes.push(node("MaxPool", &format!("pool{l}"), &[&r], &m, vec![attr_ints("kernel_shape", &[2]), attr_ints("strides", &[2])]));
        x = m;
    }
    nodes.push(node("GlobalAveragePool", "gap", &[&x], "gap.out", vec![]));
    nodes.push(node("Flatten", "flatten", &["gap.out"], "flat", vec![attr_int("axis", 1)]));
    let (fd, fw, fb) = teacher.fc()?;
    inits.push(initializer("fc.weight", &fd, &fw));
    inits.push(initializer("fc.bias", &[fd[0]], &fb));
    nodes.push(node(
        "Gemm",
        "fc",
        &["flat", "fc.weight", "fc.bias"],
        OUTPUT_NAME,
        vec![attr_float("alpha", 1.0), attr_float("beta", 1.0), attr_int("transA", 0), attr_int("transB", 1)],
    ));
    let graph = pb::GraphProto {
        node: nodes,
        name: "veriregime_teacher".into(),
        initializer: inits,
        input: vec![value_info(INPUT_NAME, &[1, cfg.input_len() as i64])],
        output: vec![value_info(OUTPUT_NAME, &[1, N_CLASSES as i64])],
        doc_string: format!(
            "VeriRegime teacher 1D-CNN {:?} (batch norm folded), global average pool, FC(3); logits of SELL, HOLD, BUY",
            cfg.convs
        ),
        ..Default::default()
    };
    Ok(model_proto(graph, vec![]))
}

/// Writes an ONNX model to `path`; returns the file's sha256 (hex).
pub fn write_onnx(proto: &pb::ModelProto, path: impl AsRef<Path>) -> anyhow::Result<String> {
    let bytes = proto.encode_to_vec();
    let path = path.as_ref();
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    std::fs::write(path, &bytes)?;
    Ok(sha256_hex(&bytes))
}

/// Writes the student as ONNX to `path`; returns the file's bytes' sha256 (hex).
pub fn export_onnx(student: &Student, path: impl AsRef<Path>) -> anyhow::Result<String> {
    write_onnx(&to_onnx_proto(student)?, path)
}

/// Max absolute difference between the candle and tract logits of the given flat windows.
pub fn parity(net: &dyn Net, onnx: &OnnxModel, x: &[f32]) -> anyhow::Result<f64> {
    let a = net.logits(x)?;
    let b = onnx.logits(x)?;
    anyhow::ensure!(a.len() == b.len(), "logit counts differ");
    Ok(a.iter()
        .zip(&b)
        .flat_map(|(p, q)| p.iter().zip(q).map(|(u, v)| (u - v).abs() as f64))
        .fold(0.0, f64::max))
}

/// Reads the parameters back from an exported ONNX file into a candle [`Student`] (the hidden
/// sizes come from the initializer shapes).
pub fn student_from_onnx(path: impl AsRef<Path>, act_init: (f32, f32)) -> anyhow::Result<Student> {
    let proto = pb::ModelProto::decode(std::fs::read(path)?.as_slice())?;
    let graph = proto.graph.ok_or_else(|| anyhow::anyhow!("ONNX model has no graph"))?;
    let mut params = HashMap::new();
    let mut dims = HashMap::new();
    for t in &graph.initializer {
        let v: Vec<f32> = if !t.raw_data.is_empty() {
            t.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
        } else {
            t.float_data.clone()
        };
        params.insert(t.name.clone(), v);
        dims.insert(t.name.clone(), t.dims.clone());
    }
    let mut hidden = Vec::new();
    let mut input = 0;
    let mut l = 1;
    while let Some(d) = dims.get(&format!("fc{l}.weight")) {
        if l == 1 {
            input = d[1] as usize;
        }
        hidden.push(d[0] as usize);
        l += 1;
    }
    anyhow::ensure!(hidden.pop() == Some(N_CLASSES), "last layer does not have 3 outputs");
    let activation = match proto.metadata_props.iter().find(|p| p.key == "activation") {
        Some(p) => serde_json::from_str(&p.value).map_err(|e| anyhow::anyhow!("ONNX metadata activation {:?}: {e}", p.value))?,
        None => Activation::Quadratic,
    };
    let cfg = StudentConfig { input, hidden, act_a_init: act_init.0, act_b_init: act_init.1, activation };
    Student::from_params(cfg, &params)
}
