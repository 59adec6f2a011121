#!/usr/bin/env python3
"""EZKL driver for VeriRegime: the only place that calls the `ezkl` Python package.

The Rust binary runs it as a supervised child process (timeout, kill). Every subcommand logs to stderr
and ends by printing exactly one JSON line on stdout; on failure it exits non-zero with a one-line
message naming the step.

Subcommands
  build  --onnx M.onnx --calibration CAL.json --out DIR [--srs FILE] [--logrows N]
         [--num-inner-cols N] [--decomp-base B --decomp-legs L]
         [--input-visibility polycommit|public|hashed] [--sol-out FILE.sol] [--target resources|accuracy]
         settings, calibration, compile, SRS, setup, Solidity verifier, manifest (with the input binding:
         which instances and which proof bytes the oracle hashes into a round's inputBinding).
  keys   --dir DIR [--srs FILE]
         unpacks the committed development SRS if needed, regenerates the proving key (never
         committed) and checks the verifying key it implies equals the committed one.
  prove  --dir DIR --input INPUT.json --out-dir D
         witness, proof, local verification, EVM calldata split into proof bytes and instances.
  witness --dir DIR --inputs INPUTS.json --out-dir D
         witness outputs of many inputs (no proof), for measuring fidelity.
  verify --dir DIR --proof PROOF.json
  commit --dir DIR --inputs INPUTS.json
         the KZG commitment of each input window (polycommit circuits): what a proof of that window
         carries in its first 64 bytes, recomputed independently of any proof (for audits).
"""

import argparse
import asyncio
import hashlib
import inspect
import json
import os
import resource
import shutil
import sys
import time

import ezkl

# BN254 scalar field modulus: instances are elements of it; negatives are r - x.
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617


class StepError(Exception):
    pass


def log(msg):
    print(f"[ezkl_driver] {msg}", file=sys.stderr, flush=True)


def run(step, fn, *args, **kwargs):
    """Calls an ezkl function (awaiting it if it is async); any failure names the step."""
    t = time.perf_counter()
    try:
        # Some ezkl calls are async and need a running event loop when they are called.
        res = asyncio.run(_call(fn, args, kwargs))
    except Exception as e:  # ezkl raises plain RuntimeError / ValueError
        raise StepError(f"{step}: {e}") from e
    if res is False:
        raise StepError(f"{step}: ezkl returned false")
    dt = time.perf_counter() - t
    log(f"{step}: {dt:.2f} s")
    return res, dt


async def _call(fn, args, kwargs):
    res = fn(*args, **kwargs)
    if inspect.isawaitable(res):
        res = await res
    return res


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def srs_logrows(path):
    """An SRS file starts with k as a little-endian u32."""
    with open(path, "rb") as f:
        head = f.read(4)
    if len(head) != 4:
        raise StepError(f"srs: {path} is not an SRS file")
    return int.from_bytes(head, "little")


# --- Development SRS packing ---------------------------------------------------------------------
# An SRS file is k (u32 LE), then 2 * 2^k G1 points (powers of tau and their Lagrange basis), each as
# x, y in Montgomery form (32 bytes LE each), then two G2 points (256 bytes). y is determined by x up to
# sign, so a packed file keeps x with y's parity in the top bit (BN254's p < 2^254 leaves it free):
# half the size, which lets the development SRS be committed while it stays exactly reproducible.
P_BASE = 21888242871839275222246405745257275088696311157297823662689037894645226208583
MONT_R = pow(2, 256, P_BASE)
MONT_R_INV = pow(MONT_R, -1, P_BASE)


def srs_pack(src, dst):
    data = open(src, "rb").read()
    k = int.from_bytes(data[:4], "little")
    n = 2 * (1 << k)
    body, tail = data[4:4 + 64 * n], data[4 + 64 * n:]
    if len(body) != 64 * n or len(tail) != 256:
        raise StepError(f"srs-pack: {src} does not have the layout of a logrows-{k} SRS")
    out = bytearray(data[:4])
    for i in range(n):
        x = body[64 * i:64 * i + 32]
        y = int.from_bytes(body[64 * i + 32:64 * i + 64], "little") * MONT_R_INV % P_BASE
        xb = bytearray(x)
        if xb[31] & 0x80:
            raise StepError("srs-pack: unexpected high bit in x")
        xb[31] |= (y & 1) << 7
        out += xb
    out += tail
    with open(dst + ".tmp", "wb") as f:
        f.write(out)
    os.replace(dst + ".tmp", dst)


def srs_unpack(src, dst):
    data = open(src, "rb").read()
    k = int.from_bytes(data[:4], "little")
    n = 2 * (1 << k)
    body, tail = data[4:4 + 32 * n], data[4 + 32 * n:]
    if len(body) != 32 * n or len(tail) != 256:
        raise StepError(f"srs-unpack: {src} is not a packed logrows-{k} SRS")
    out = bytearray(data[:4])
    e = (P_BASE + 1) // 4  # p = 3 mod 4
    for i in range(n):
        xb = bytearray(body[32 * i:32 * i + 32])
        parity = xb[31] >> 7
        xb[31] &= 0x7F
        x = int.from_bytes(xb, "little") * MONT_R_INV % P_BASE
        y = pow((x * x * x + 3) % P_BASE, e, P_BASE)
        if (y * y - x * x * x - 3) % P_BASE:
            raise StepError(f"srs-unpack: point {i} is not on the curve")
        if y & 1 != parity:
            y = P_BASE - y
        out += xb + (y * MONT_R % P_BASE).to_bytes(32, "little")
    out += tail
    with open(dst + ".tmp", "wb") as f:
        f.write(out)
    os.replace(dst + ".tmp", dst)


def paths(d):
    return {
        "onnx": os.path.join(d, "network.onnx"),
        "settings": os.path.join(d, "settings.json"),
        "compiled": os.path.join(d, "model.compiled"),
        "vk": os.path.join(d, "vk.key"),
        "pk": os.path.join(d, "pk.key"),
        "manifest": os.path.join(d, "manifest.json"),
    }


def resolve_srs(d, logrows, given):
    """A production SRS given by path (checked), else the project's development SRS in DIR."""
    if given:
        if not os.path.isfile(given):
            raise StepError(f"srs: {given} does not exist")
        k = srs_logrows(given)
        if k < logrows:
            raise StepError(f"srs: {given} has logrows {k}, the circuit needs {logrows}")
        return given, "file", k
    dev = os.path.join(d, f"dev-kzg{logrows}.srs")
    if not os.path.isfile(dev) and os.path.isfile(dev + ".packed"):
        srs_unpack(dev + ".packed", dev)
    if not os.path.isfile(dev):
        log("WARNING: generating an INSECURE development SRS (its toxic waste is not destroyed). "
            "Never use it in production: pass --srs with a public ceremony file.")
        tmp = dev + ".tmp"
        run("gen_srs", ezkl.gen_srs, tmp, logrows)
        os.replace(tmp, dev)
    if not os.path.isfile(dev + ".packed"):
        srs_pack(dev, dev + ".packed")
    return dev, "insecure-dev", logrows


# A polycommit proof starts with the KZG commitment to the input column: one G1 point, x || y, 32 bytes each.
COMMITMENT_BYTES = 64


def binding_spec(visibility, n_inputs):
    """What the oracle hashes into a round's inputBinding: the first n_inputs instances, then
    proof[offset:offset+length]."""
    if visibility == "polycommit":
        if n_inputs != 0:
            raise StepError(f"build: a polycommit circuit should have no public input instances, it has {n_inputs}")
        return {"n_inputs": 0, "commitment_offset": 0, "commitment_length": COMMITMENT_BYTES}
    if visibility == "hashed":
        return {"n_inputs": n_inputs, "commitment_offset": 0, "commitment_length": 0}
    if visibility == "public":
        return {"n_inputs": n_inputs, "commitment_offset": 0, "commitment_length": 0}
    raise StepError(f"build: input visibility {visibility} does not bind the input to the proof")


def cmd_build(a):
    os.makedirs(a.out, exist_ok=True)
    p = paths(a.out)
    timings = {}
    if os.path.abspath(a.onnx) != os.path.abspath(p["onnx"]):
        shutil.copyfile(a.onnx, p["onnx"])
    ra = ezkl.PyRunArgs()
    ra.input_visibility = a.input_visibility
    ra.output_visibility = "public"
    ra.param_visibility = "fixed"  # weights are constants of the circuit: a prover cannot pick others
    if a.num_inner_cols:
        ra.num_inner_cols = a.num_inner_cols
    # Range checks decompose values into decomp_legs digits of base decomp_base; the base is also
    # the lookup table's size, which sets a floor on logrows (16384 -> logrows >= 15).
    if a.decomp_base:
        ra.decomp_base = a.decomp_base
    if a.decomp_legs:
        ra.decomp_legs = a.decomp_legs
    if a.scale_rebase_multiplier:
        # EZKL divides back to the input scale (a range-checked division) once a value's scale passes
        # input_scale * multiplier. A multiplier above the model's deepest scale never divides: a
        # polynomial student then needs no range check and no lookup table at all.
        ra.scale_rebase_multiplier = a.scale_rebase_multiplier
    if a.skip_io_range_checks:
        # Inputs are bound by their commitment (the audit recomputes it from public candles) and
        # outputs are public and bounds-checked by the oracle: their range checks add rows only.
        ra.ignore_range_check_inputs_outputs = True
    _, timings["gen_settings"] = run("gen_settings", ezkl.gen_settings, p["onnx"], p["settings"], py_run_args=ra)
    cal_kwargs = {"target": a.target}
    if a.scales:
        cal_kwargs["scales"] = [int(s) for s in a.scales.split(",")]
    if a.max_logrows:
        cal_kwargs["max_logrows"] = a.max_logrows
    if a.scale_rebase_multiplier:
        cal_kwargs["scale_rebase_multiplier"] = [a.scale_rebase_multiplier]
    _, timings["calibrate"] = run("calibrate_settings", ezkl.calibrate_settings, a.calibration, p["onnx"], p["settings"], **cal_kwargs)
    if a.param_scale is not None:
        # Calibration ties the parameter scale to the input scale. Keep the input scale it chose and
        # lay the circuit out again with the requested parameter scale (weights on a 2^-k grid):
        # rows come from gen_settings, logrows is the least that holds them and the range table.
        ra.input_scale = json.load(open(p["settings"]))["run_args"]["input_scale"]
        ra.param_scale = a.param_scale
        _, timings["gen_settings_param_scale"] = run("gen_settings", ezkl.gen_settings, p["onnx"], p["settings"], py_run_args=ra)
        s = json.load(open(p["settings"]))
        need = max(s["num_rows"], s["run_args"]["decomp_base"]) + (s.get("num_blinding_factors") or 6) + 3
        s["run_args"]["logrows"] = max(1, (need - 1).bit_length())
        atomic_json(p["settings"], s)
    if a.logrows:
        s = json.load(open(p["settings"]))
        s["run_args"]["logrows"] = a.logrows
        atomic_json(p["settings"], s)
    _, timings["compile"] = run("compile_circuit", ezkl.compile_circuit, p["onnx"], p["compiled"], p["settings"])
    settings = json.load(open(p["settings"]))
    logrows = settings["run_args"]["logrows"]
    srs, srs_kind, _ = resolve_srs(a.out, logrows, a.srs)
    _, timings["setup"] = run("setup", ezkl.setup, p["compiled"], p["vk"], p["pk"], srs)
    sol = a.sol_out or os.path.join(a.out, "Halo2Verifier.sol")
    abi = os.path.join(a.out, "verifier_abi.json")
    if os.path.exists(sol):
        os.remove(sol)
    try:
        # ezkl 23 writes the .sol, then tries to download solc to check it, which fails offline.
        _, timings["create_evm_verifier"] = run("create_evm_verifier", ezkl.create_evm_verifier, p["vk"], p["settings"], sol, abi, srs, False)
    except StepError as e:
        if not (os.path.isfile(sol) and "contract Halo2Verifier" in open(sol).read()):
            raise
        log(f"create_evm_verifier: verifier written; ignoring its offline solc check ({str(e)[:120]})")
    if os.path.exists(abi):
        os.remove(abi)
    manifest = {
        "ezkl_version": ezkl.__version__,
        "logrows": logrows,
        "num_rows": settings.get("num_rows"),
        "input_scale": settings["run_args"]["input_scale"],
        "param_scale": settings["run_args"]["param_scale"],
        "output_scale": settings["model_output_scales"][0],
        "input_visibility": a.input_visibility,
        "binding": binding_spec(a.input_visibility, input_len(p["settings"])),
        "srs": {"kind": srs_kind, "logrows": srs_logrows(srs), "sha256": sha256(srs), "file": os.path.basename(srs)},
        "sha256": {
            "network.onnx": sha256(p["onnx"]),
            "settings.json": sha256(p["settings"]),
            "model.compiled": sha256(p["compiled"]),
            "vk.key": sha256(p["vk"]),
            "verifier.sol": sha256(sol),
        },
    }
    atomic_json(p["manifest"], manifest)
    out = dict(manifest)
    out.update({"dir": a.out, "verifier": sol, "timings": timings,
                "pk_bytes": os.path.getsize(p["pk"]), "vk_bytes": os.path.getsize(p["vk"]),
                "total_assignments": settings.get("total_assignments")})
    print(json.dumps(out))


def cmd_keys(a):
    p = paths(a.dir)
    manifest = json.load(open(p["manifest"]))
    srs = a.srs or os.path.join(a.dir, manifest["srs"]["file"])
    if not a.srs and not os.path.isfile(srs) and os.path.isfile(srs + ".packed"):
        t = time.perf_counter()
        srs_unpack(srs + ".packed", srs)
        log(f"srs-unpack: {time.perf_counter() - t:.1f} s")
    if not os.path.isfile(srs):
        raise StepError(f"keys: SRS {srs} is missing (the circuit was built with {manifest['srs']['kind']} SRS "
                        f"sha256 {manifest['srs']['sha256']})")
    if sha256(srs) != manifest["srs"]["sha256"]:
        raise StepError(f"keys: SRS {srs} is not the one the circuit was built with (sha256 differs)")
    for name in ("network.onnx", "settings.json", "model.compiled", "vk.key"):
        got = sha256(os.path.join(a.dir, name))
        if got != manifest["sha256"][name]:
            raise StepError(f"keys: {name} does not match the manifest (sha256 {got})")
    tmp_vk, tmp_pk = p["vk"] + ".regen", p["pk"] + ".tmp"
    _, dt = run("setup", ezkl.setup, p["compiled"], tmp_vk, tmp_pk, srs)
    same = sha256(tmp_vk) == manifest["sha256"]["vk.key"]
    os.remove(tmp_vk)
    if not same:
        os.remove(tmp_pk)
        raise StepError("keys: the regenerated verifying key differs from the committed one: setup is not reproducible")
    os.replace(tmp_pk, p["pk"])
    print(json.dumps({"pk": p["pk"], "pk_bytes": os.path.getsize(p["pk"]), "setup_s": dt, "vk_matches": True}))


def input_len(settings_path):
    """Number of public input instances: every instance but the last (output) tensor's."""
    s = json.load(open(settings_path))
    n = 0
    for shape in s["model_instance_shapes"][:-1]:
        k = 1
        for d in shape:
            k *= d
        n += k
    return n


def split_calldata(cd):
    """EVM calldata of verifyProof(bytes, uint256[]) -> (proof bytes, instances as ints)."""
    body = bytes(cd[4:])
    w = lambda off: int.from_bytes(body[off:off + 32], "big")
    po, io = w(0), w(32)
    plen = w(po)
    proof = body[po + 32:po + 32 + plen]
    n = w(io)
    inst = [w(io + 32 + 32 * i) for i in range(n)]
    return proof, inst


def to_signed(v):
    return v if v <= (R - 1) // 2 else -(R - v)


def cmd_prove(a):
    p = paths(a.dir)
    os.makedirs(a.out_dir, exist_ok=True)
    settings = json.load(open(p["settings"]))
    manifest = json.load(open(p["manifest"]))
    srs = a.srs or os.path.join(a.dir, manifest["srs"]["file"])
    if not os.path.isfile(p["pk"]):
        raise StepError(f"prove: proving key {p['pk']} is missing (run `veriregime circuit keys` / `make keys`)")
    witness = os.path.join(a.out_dir, "witness.json")
    proof_path = os.path.join(a.out_dir, "proof.json")
    calldata = os.path.join(a.out_dir, "calldata.bin")
    timings = {}
    # A polycommit circuit needs the vk and SRS to commit to the input while generating the witness.
    _, timings["witness"] = run("gen_witness", ezkl.gen_witness, a.input, p["compiled"], witness, p["vk"], srs)
    _, timings["prove"] = run("prove", ezkl.prove, witness, p["compiled"], p["pk"], proof_path, srs)
    _, timings["verify"] = run("verify", ezkl.verify, proof_path, p["settings"], p["vk"], srs, False)
    cd, _ = run("encode_evm_calldata", ezkl.encode_evm_calldata, proof_path, calldata, None)
    proof, inst = split_calldata(cd)
    out_scale = settings["model_output_scales"][0]
    n_out = 3
    fixed = [to_signed(v) for v in inst[-n_out:]]
    b = manifest["binding"]
    commitment = proof[b["commitment_offset"]:b["commitment_offset"] + b["commitment_length"]]
    print(json.dumps({
        "binding": b,
        "commitment": "0x" + commitment.hex(),
        "proof": "0x" + proof.hex(),
        "instances": ["0x%064x" % v for v in inst],
        "outputs_fixed": [str(v) for v in fixed],
        "outputs": [v / 2 ** out_scale for v in fixed],
        "output_scale": out_scale,
        "n_inputs": len(inst) - n_out,
        "proof_path": proof_path,
        "proof_bytes": len(proof),
        "timings": timings,
        # Peak resident memory of this process (witness, proving key, prover, verify): Linux reports KiB.
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


def cmd_witness(a):
    """Witness outputs (no proof) of many inputs: {"input_data": [[420 floats], ...]} -> fixed and
    rescaled outputs per input, for measuring the circuit's fidelity to the float model."""
    p = paths(a.dir)
    settings = json.load(open(p["settings"]))
    out_scale = settings["model_output_scales"][0]
    rows = json.load(open(a.inputs))["input_data"]
    tmp_in = os.path.join(a.out_dir, "w_input.json")
    tmp_w = os.path.join(a.out_dir, "w_witness.json")
    os.makedirs(a.out_dir, exist_ok=True)
    outs = []
    t = time.perf_counter()
    for i, row in enumerate(rows):
        with open(tmp_in, "w") as f:
            json.dump({"input_data": [row]}, f)
        w, _ = run(f"gen_witness[{i}]", ezkl.gen_witness, tmp_in, p["compiled"], tmp_w)
        felts = w["outputs"][0]
        fixed = [to_signed(int(ezkl.felt_to_big_endian(x), 16)) for x in felts]
        outs.append([str(v) for v in fixed])
    print(json.dumps({"outputs_fixed": outs, "output_scale": out_scale, "n": len(outs),
                      "seconds": time.perf_counter() - t}))


def commitment_of(felts, p, srs):
    c = ezkl.kzg_commit(felts, p["vk"], p["settings"], srs)[0]
    be = lambda h: bytes.fromhex(h)[::-1]  # PyG1Affine coordinates are little-endian hex
    return be(c.x) + be(c.y)


def cmd_commit(a):
    """{"input_data": [[floats], ...]} -> the KZG commitment (x || y, big-endian) of each window, as a
    polycommit proof of it carries; the input is quantized exactly as gen_witness does."""
    p = paths(a.dir)
    manifest = json.load(open(p["manifest"]))
    if manifest["input_visibility"] != "polycommit":
        raise StepError(f"commit: the circuit in {a.dir} has {manifest['input_visibility']} inputs, not polycommit")
    srs = a.srs or os.path.join(a.dir, manifest["srs"]["file"])
    scale = json.load(open(p["settings"]))["model_input_scales"][0]
    rows = json.load(open(a.inputs))["input_data"]
    out = []
    for row in rows:
        felts = [ezkl.float_to_felt(x, scale, ezkl.PyInputType.F32) for x in row]
        out.append("0x" + commitment_of(felts, p, srs).hex())
    print(json.dumps({"commitments": out, "input_scale": scale}))


def cmd_verify(a):
    p = paths(a.dir)
    manifest = json.load(open(p["manifest"]))
    srs = a.srs or os.path.join(a.dir, manifest["srs"]["file"])
    _, dt = run("verify", ezkl.verify, a.proof, p["settings"], p["vk"], srs, False)
    print(json.dumps({"verified": True, "verify_s": dt}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--onnx", required=True)
    b.add_argument("--calibration", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--srs")
    b.add_argument("--logrows", type=int)
    b.add_argument("--max-logrows", type=int)
    b.add_argument("--num-inner-cols", type=int)
    b.add_argument("--decomp-base", type=int)
    b.add_argument("--decomp-legs", type=int)
    b.add_argument("--scale-rebase-multiplier", type=int, help="divide back to the input scale only past input_scale * this (large: never)")
    b.add_argument("--skip-io-range-checks", action="store_true", help="no range checks on the committed input and the public output")
    b.add_argument("--scales", help="comma-separated input scales calibration may choose from")
    b.add_argument("--param-scale", type=int, help="parameter scale (weights on a 2^-k grid) instead of calibration's, which equals the input scale")
    b.add_argument("--input-visibility", default="polycommit", choices=["polycommit", "public", "hashed"])
    b.add_argument("--target", default="resources", choices=["resources", "accuracy"])
    b.add_argument("--sol-out")
    k = sub.add_parser("keys")
    k.add_argument("--dir", required=True)
    k.add_argument("--srs")
    pr = sub.add_parser("prove")
    pr.add_argument("--dir", required=True)
    pr.add_argument("--input", required=True)
    pr.add_argument("--out-dir", required=True)
    pr.add_argument("--srs")
    w = sub.add_parser("witness")
    w.add_argument("--dir", required=True)
    w.add_argument("--inputs", required=True)
    w.add_argument("--out-dir", required=True)
    v = sub.add_parser("verify")
    v.add_argument("--dir", required=True)
    v.add_argument("--proof", required=True)
    v.add_argument("--srs")
    c = sub.add_parser("commit")
    c.add_argument("--dir", required=True)
    c.add_argument("--inputs", required=True)
    c.add_argument("--srs")
    a = ap.parse_args()
    try:
        {"build": cmd_build, "keys": cmd_keys, "prove": cmd_prove, "witness": cmd_witness, "verify": cmd_verify, "commit": cmd_commit}[a.cmd](a)
    except StepError as e:
        print(f"ezkl_driver {a.cmd}: {e}", file=sys.stderr)
        sys.exit(1)
    except (OSError, KeyError, ValueError) as e:
        print(f"ezkl_driver {a.cmd}: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
