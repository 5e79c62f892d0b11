#!/usr/bin/env python3
"""Independent reference encoder for denser's transformer tests.

Computes pooled sentence embeddings of a BERT- or RoBERTa-architecture model directly
from the published architecture (Devlin et al. 2019, "BERT", section 3 and the original
Transformer encoder of Vaswani et al. 2017 with post-LayerNorm residual blocks; Liu et al.
2019 for RoBERTa's position numbering; Xiong et al. 2021 "ANCE" for the Linear+LayerNorm
head), in float64 with plain tensor arithmetic: no torch.nn modules, no transformers, no
safetensors package (the file format is parsed by hand).

usage: reference_bert.py MODEL_DIR INPUT_JSON
  INPUT_JSON: {"ids": [[int, ...], ...] (unpadded token ids per text),
               "pad_id": int, "tower": "document" | "query"}
Prints {"embeddings": [[float, ...], ...]} on stdout.
"""
import json
import math
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    """Parses the safetensors layout: u64 little-endian header size, JSON header, data."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    start = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = bytearray(blob[start + begin:start + end])
        values = torch.frombuffer(raw, dtype=DTYPES[info["dtype"]])
        tensors[name] = values.reshape(info["shape"]).to(torch.float64)
    return tensors


class Weights:
    """Looks tensors up by Hugging Face name, with or without the backbone prefix."""

    def __init__(self, tensors, backbone, tower_prefix):
        self.tensors = tensors
        self.backbone = backbone
        self.tower_prefix = tower_prefix

    def __call__(self, name):
        for key in (self.tower_prefix + self.backbone + "." + name, self.tower_prefix + name):
            if key in self.tensors:
                return self.tensors[key]
        raise KeyError(name)


def layer_norm(x, gain, shift, eps):
    mean = x.mean(dim=-1, keepdim=True)
    variance = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(variance + eps) * gain + shift


def affine(x, w, prefix):
    return x @ w(prefix + ".weight").t() + w(prefix + ".bias")


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def position_ids(ids, real, cfg):
    if cfg["model_type"] == "roberta":
        # RoBERTa: real tokens are numbered pad+1, pad+2, ...; padding sits at pad.
        pad = cfg["pad_token_id"]
        numbered = torch.cumsum(real.long(), dim=1) * real.long()
        return numbered + pad
    return torch.arange(ids.shape[1]).unsqueeze(0).expand_as(ids)


def encoder_block(x, keep, w, i, cfg):
    """Multi-head self-attention then a GELU feed-forward net, each followed by
    residual addition and LayerNorm (the post-norm block of the original Transformer)."""
    eps = cfg["layer_norm_eps"]
    heads = cfg["num_attention_heads"]
    batch, seq, hidden = x.shape
    size = hidden // heads
    p = "encoder.layer.%d." % i
    out = []
    q_all = affine(x, w, p + "attention.self.query")
    k_all = affine(x, w, p + "attention.self.key")
    v_all = affine(x, w, p + "attention.self.value")
    for h in range(heads):
        cols = slice(h * size, (h + 1) * size)
        q, k, v = q_all[:, :, cols], k_all[:, :, cols], v_all[:, :, cols]
        logits = torch.einsum("bqd,bkd->bqk", q, k) / math.sqrt(size)
        logits = logits.masked_fill(~keep[:, None, :], float("-inf"))
        out.append(torch.softmax(logits, dim=-1) @ v)
    context = torch.cat(out, dim=-1)
    y = layer_norm(affine(context, w, p + "attention.output.dense") + x,
                   w(p + "attention.output.LayerNorm.weight"), w(p + "attention.output.LayerNorm.bias"), eps)
    inner = gelu(affine(y, w, p + "intermediate.dense"))
    return layer_norm(affine(inner, w, p + "output.dense") + y,
                      w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"), eps)


def embed(rows, pad_id, cfg, tensors, tower_prefix):
    w = Weights(tensors, cfg["model_type"], tower_prefix)
    longest = max(len(r) for r in rows)
    ids = torch.full((len(rows), longest), pad_id, dtype=torch.long)
    keep = torch.zeros((len(rows), longest), dtype=torch.bool)
    for b, r in enumerate(rows):
        ids[b, :len(r)] = torch.tensor(r, dtype=torch.long)
        keep[b, :len(r)] = True
    positions = position_ids(ids, keep, cfg)
    x = (w("embeddings.word_embeddings.weight")[ids]
         + w("embeddings.position_embeddings.weight")[positions]
         + w("embeddings.token_type_embeddings.weight")[torch.zeros_like(ids)])
    x = layer_norm(x, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"), cfg["layer_norm_eps"])
    for i in range(cfg["num_hidden_layers"]):
        x = encoder_block(x, keep, w, i, cfg)
    extra = cfg.get("denser", {})
    if extra.get("pooling", "cls") == "mean":
        weights = keep.to(torch.float64).unsqueeze(-1)
        pooled = (x * weights).sum(dim=1) / weights.sum(dim=1)
    else:
        pooled = x[:, 0, :]
    if extra.get("ance_head", False):
        head = tensors[tower_prefix + "embeddingHead.weight"], tensors[tower_prefix + "embeddingHead.bias"]
        pooled = pooled @ head[0].t() + head[1]
        pooled = layer_norm(pooled, tensors[tower_prefix + "norm.weight"], tensors[tower_prefix + "norm.bias"],
                            cfg["layer_norm_eps"])
    return pooled


def main():
    model_dir, input_path = sys.argv[1], sys.argv[2]
    with open(model_dir + "/config.json") as f:
        cfg = json.load(f)
    assert cfg["hidden_act"] == "gelu", cfg["hidden_act"]
    with open(input_path) as f:
        request = json.load(f)
    tensors = read_safetensors(model_dir + "/model.safetensors")
    prefix = "query_tower." if request.get("tower") == "query" else ""
    pooled = embed(request["ids"], request["pad_id"], cfg, tensors, prefix)
    json.dump({"embeddings": pooled.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
