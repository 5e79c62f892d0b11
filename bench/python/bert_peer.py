#!/usr/bin/python3
"""The PyTorch Python side of bench_encoder_vs_pytorch.

A BERT-architecture dual encoder written the way a PyTorch user writes one (torch.nn
modules, float32), loading a Hugging Face model directory (config.json +
model.safetensors). It runs the token batches the C++ program wrote, so both sides
compute on identical inputs and tokenization is outside both timings.

usage: bert_peer.py MODEL_DIR BATCHES_JSON EMBEDDINGS_OUT
  BATCHES_JSON: {"threads": T, "lr": float, "weight_decay": float, "warmup_steps": W, "repeats": R,
                 "encode": [{"ids": [[int]], "mask": [[int]]}, ...],
                 "train": [{"q_ids", "q_mask", "d_ids", "d_mask"}, ...]}
  EMBEDDINGS_OUT: the first encode batch's embeddings, raw little-endian float32.
Prints one JSON object of timings and check values on stdout.
"""
import json
import math
import pathlib
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

# The safetensors parser of the float64 reference used by the encoder tests (one parser for
# the Python side of the project); float32 weights survive the float64 round trip exactly.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "encode"))
from reference_bert import read_safetensors  # noqa: E402


class SelfAttention(nn.Module):
    def __init__(self, hidden, heads, dropout):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, additive_mask):
        batch, seq, hidden = x.shape
        size = hidden // self.heads

        def split(t):
            return t.view(batch, seq, self.heads, size).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(size) + additive_mask
        probs = self.dropout(scores.softmax(dim=-1))
        return (probs @ v).transpose(1, 2).reshape(batch, seq, hidden)


class Layer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        hidden, eps, p = cfg["hidden_size"], cfg["layer_norm_eps"], cfg["hidden_dropout_prob"]
        self.attention = SelfAttention(hidden, cfg["num_attention_heads"], cfg["attention_probs_dropout_prob"])
        self.attention_out = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=eps)
        self.ffn = nn.Sequential(nn.Linear(hidden, cfg["intermediate_size"]), nn.GELU(),
                                 nn.Linear(cfg["intermediate_size"], hidden))
        self.ffn_norm = nn.LayerNorm(hidden, eps=eps)
        self.dropout = nn.Dropout(p)

    def forward(self, x, additive_mask):
        x = self.attention_norm(x + self.dropout(self.attention_out(self.attention(x, additive_mask))))
        return self.ffn_norm(x + self.dropout(self.ffn(x)))


class BertDualEncoder(nn.Module):
    """Embeddings, post-LayerNorm encoder layers, CLS or mean pooling, optional ANCE head."""

    def __init__(self, cfg):
        super().__init__()
        hidden = cfg["hidden_size"]
        extra = cfg.get("denser", {})
        self.roberta = cfg["model_type"] == "roberta"
        self.pad_id = cfg["pad_token_id"]
        self.mean_pooling = extra.get("pooling", "cls") == "mean"
        self.words = nn.Embedding(cfg["vocab_size"], hidden)
        self.positions = nn.Embedding(cfg["max_position_embeddings"], hidden)
        self.types = nn.Embedding(cfg["type_vocab_size"], hidden)
        self.embed_norm = nn.LayerNorm(hidden, eps=cfg["layer_norm_eps"])
        self.embed_dropout = nn.Dropout(cfg["hidden_dropout_prob"])
        self.layers = nn.ModuleList(Layer(cfg) for _ in range(cfg["num_hidden_layers"]))
        self.head = None
        if extra.get("ance_head", False):
            out = extra.get("output_dim", 0) or hidden
            self.head = nn.Sequential(nn.Linear(hidden, out), nn.LayerNorm(out, eps=cfg["layer_norm_eps"]))

    def forward(self, ids, mask):
        if self.roberta:
            positions = torch.cumsum(mask, dim=1) * mask + self.pad_id
        else:
            positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.words(ids) + self.positions(positions) + self.types(torch.zeros_like(ids))
        x = self.embed_dropout(self.embed_norm(x))
        additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, additive)
        if self.mean_pooling:
            keep = mask.unsqueeze(-1).float()
            pooled = (x * keep).sum(dim=1) / keep.sum(dim=1)
        else:
            pooled = x[:, 0]
        return self.head(pooled) if self.head is not None else pooled

    def load_hf(self, tensors, backbone):
        """Copies Hugging Face names (with or without the backbone prefix) into this module."""
        def get(name):
            for key in (backbone + "." + name, name):
                if key in tensors:
                    return tensors[key]
            raise KeyError(name)

        pairs = {"words.weight": "embeddings.word_embeddings.weight",
                 "positions.weight": "embeddings.position_embeddings.weight",
                 "types.weight": "embeddings.token_type_embeddings.weight",
                 "embed_norm.weight": "embeddings.LayerNorm.weight", "embed_norm.bias": "embeddings.LayerNorm.bias"}
        layer_names = {"attention.query": "attention.self.query", "attention.key": "attention.self.key",
                       "attention.value": "attention.self.value", "attention_out": "attention.output.dense",
                       "attention_norm": "attention.output.LayerNorm", "ffn.0": "intermediate.dense",
                       "ffn.2": "output.dense", "ffn_norm": "output.LayerNorm"}
        for i in range(len(self.layers)):
            for mine, theirs in layer_names.items():
                for kind in ("weight", "bias"):
                    pairs["layers.%d.%s.%s" % (i, mine, kind)] = "encoder.layer.%d.%s.%s" % (i, theirs, kind)
        state = {mine: get(theirs) for mine, theirs in pairs.items()}
        if self.head is not None:
            for mine, theirs in (("head.0", "embeddingHead"), ("head.1", "norm")):
                for kind in ("weight", "bias"):
                    state["%s.%s" % (mine, kind)] = tensors["%s.%s" % (theirs, kind)]
        self.load_state_dict(state, strict=True)


def as_tensor(rows):
    return torch.tensor(rows, dtype=torch.long)


def train_step(model, optimizer, batch):
    q = model(batch["q_ids"], batch["q_mask"])
    d = model(batch["d_ids"], batch["d_mask"])
    # Each query's positive is the document at its own row; the other rows are negatives.
    loss = F.cross_entropy(q @ d.t(), torch.arange(q.shape[0]))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def main():
    model_dir, batches_path, embeddings_out = sys.argv[1:4]
    with open(model_dir + "/config.json") as f:
        cfg = json.load(f)
    with open(batches_path) as f:
        request = json.load(f)
    torch.set_num_threads(request["threads"])
    model = BertDualEncoder(cfg)
    tensors = {k: v.float() for k, v in read_safetensors(model_dir + "/model.safetensors").items()}
    model.load_hf(tensors, cfg["model_type"])

    encode = [(as_tensor(b["ids"]), as_tensor(b["mask"])) for b in request["encode"]]
    model.eval()
    with torch.inference_mode():
        # The first pass pays one-time costs per batch shape; the fastest later one counts.
        timings = []
        for _ in range(1 + request["repeats"]):
            start = time.perf_counter()
            docs = 0
            for ids, mask in encode:
                vectors = model(ids, mask)
                if not timings and docs == 0:
                    with open(embeddings_out, "wb") as f:
                        f.write(vectors.contiguous().numpy().astype("<f4").tobytes())
                docs += ids.shape[0]
            timings.append(time.perf_counter() - start)

    train = [{k: as_tensor(v) for k, v in b.items()} for b in request["train"]]
    optimizer = torch.optim.AdamW(model.parameters(), lr=request["lr"], weight_decay=request["weight_decay"])
    # Check step without dropout: the loss before and after one AdamW step on batch 0.
    check = [train_step(model, optimizer, train[0])]
    with torch.no_grad():
        check.append(F.cross_entropy(model(train[0]["q_ids"], train[0]["q_mask"]) @
                                     model(train[0]["d_ids"], train[0]["d_mask"]).t(),
                                     torch.arange(train[0]["q_ids"].shape[0])).item())
    model.train()
    warmup = request["warmup_steps"]
    for step in range(warmup):
        train_step(model, optimizer, train[step % len(train)])
    times = []
    for step in range(warmup, len(train)):
        start = time.perf_counter()
        train_step(model, optimizer, train[step])
        times.append(time.perf_counter() - start)
    json.dump({"encode_pass_seconds": timings, "encode_docs": docs,
               "train_median_step": statistics.median(times), "train_mean_step": statistics.mean(times),
               "check_losses": check, "torch_version": torch.__version__}, sys.stdout)


if __name__ == "__main__":
    main()
