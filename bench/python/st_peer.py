#!/usr/bin/env python3
"""The peers of bench_encoder_vs_st: what users run to embed a corpus on the CPU.

  st        sentence-transformers' SentenceTransformer.encode (PyTorch, float32)
  onnx      the same model exported to ONNX and run by onnxruntime (float32), with the
            model's mean pooling and normalization in numpy: what sentence-transformers'
            ONNX backend does (an optimum export run by onnxruntime)
  onnx-int8 that ONNX graph after onnxruntime's dynamic int8 quantization of the MatMuls

Reads a request JSON: {"model", "texts" (JSON-lines file), "batch_size", "threads",
"max_length", "backends", "work_dir", "repeats"}. For each backend, encodes every text once
to warm up, then `repeats` times timed; writes <work_dir>/<backend>.f32 (n x dim float32)
and prints one JSON object: {backend: {"seconds": [...], "tokens": n_tokens}}.
"""
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def batches_by_length(tokenizer, texts, batch_size, max_length):
    # Length-sorted batches as SentenceTransformer.encode forms them (longest first).
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        enc = tokenizer([texts[i] for i in idx], padding=True, truncation="longest_first",
                        max_length=max_length, return_tensors="np")
        yield idx, enc


def run_onnx(model, texts, req, quantize):
    import numpy as np
    import onnxruntime as ort
    import torch

    work = req["work_dir"]
    path = os.path.join(work, "model.onnx")
    if not os.path.exists(path):
        bert = model[0].auto_model.eval()
        dummy = model.tokenizer(["a b c"], return_tensors="pt")
        torch.onnx.export(bert, (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"]), path,
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"],
                          dynamic_axes={k: {0: "batch", 1: "seq"} for k in
                                        ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
                          opset_version=14)
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        qpath = os.path.join(work, "model-int8.onnx")
        if not os.path.exists(qpath):
            quantize_dynamic(path, qpath, weight_type=QuantType.QInt8)
        path = qpath
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = req["threads"]
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    tok = model.tokenizer

    def encode():
        # Tokenization is part of the timed work, as it is for denser and sentence-transformers.
        out = np.zeros((len(texts), model.get_sentence_embedding_dimension()), dtype=np.float32)
        for idx, enc in batches_by_length(tok, texts, req["batch_size"], req["max_length"]):
            feeds = {k: enc[k].astype(np.int64) for k in ["input_ids", "attention_mask", "token_type_ids"]}
            hidden = sess.run(None, feeds)[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[idx] = pooled
        return out
    return encode


def main():
    req = json.load(open(sys.argv[1]))
    # OpenBLAS (PyTorch's float32 GEMM on Debian) keeps its own thread pool, which neither
    # torch.set_num_threads nor OpenMP limits: without this a "1 thread" run uses every
    # core. It must be set before numpy or torch loads OpenBLAS.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[var] = str(req["threads"])
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(req["threads"])
    model = SentenceTransformer(req["model"], device="cpu")
    model.max_seq_length = req["max_length"]
    texts = [json.loads(line) for line in open(req["texts"], encoding="utf-8")]
    n_tokens = sum(min(len(model.tokenizer(t)["input_ids"]), req["max_length"]) for t in texts)
    report = {}
    for backend in req["backends"]:
        if backend == "st":
            def encode():
                return model.encode(texts, batch_size=req["batch_size"], convert_to_numpy=True)
        else:
            try:
                encode = run_onnx(model, texts, req, quantize=backend == "onnx-int8")
            except Exception as e:  # a peer that cannot run is reported, not hidden
                report[backend] = {"error": f"{type(e).__name__}: {e}"}
                continue
        vectors = encode()
        seconds = []
        for _ in range(req["repeats"]):
            t = time.perf_counter()
            encode()
            seconds.append(time.perf_counter() - t)
        np.ascontiguousarray(vectors, dtype=np.float32).tofile(os.path.join(req["work_dir"], backend + ".f32"))
        report[backend] = {"seconds": seconds, "tokens": n_tokens}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
