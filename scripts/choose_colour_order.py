"""Choose a model's input colour order (RGB or BGR) on LFW View 1, never on View 2.

Some published graphs do not say which channel order they were trained on (faceplugin-512's JS demo feeds RGB
canvas pixels, yet its weights may have been trained on OpenCV's BGR). This embeds the View 1 development images
(``pairsDevTrain.txt`` + ``pairsDevTest.txt``) both ways with the faces a store's detection cache already holds,
chooses the order with the higher ROC AUC on ``pairsDevTrain`` (threshold-free, so it does not depend on the
accuracy threshold rule), and reports ``pairsDevTest`` accuracy at the threshold chosen on ``pairsDevTrain`` as the
check. It writes a Markdown table and a JSON record that the model spec's comment cites.

    python scripts/choose_colour_order.py --model faceplugin-512 --store store/lfw-yunet --out docs/colour_order
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from facebridge.faces import DetectionCache, align
from facebridge.images import load_image
from facebridge.models import get_spec, load_model
from facebridge.paths import default_data_dir
from facebridge.protocols import parse_lfw_pairs, roc_curve
from facebridge.protocols.kfold import best_threshold


def _embed(spec, ids: list[str], images: Path, cache: DetectionCache, models_dir: Path | None) -> dict[str, np.ndarray]:
    model = load_model(spec, models_dir, num_threads=2)
    crops = []
    for image_id in ids:
        decoded, det = load_image(images / image_id), cache.get(image_id)
        if decoded.rgb is None or det is None:
            raise SystemExit(f"{image_id}: not in the detection cache {cache.path}; embed the store first")
        crops.append(align(decoded.rgb, det, spec.alignment, **spec.alignment_params).crop)
    vectors = model.embed(np.stack(crops)).astype(np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return dict(zip(ids, vectors, strict=True))


def _scores(pairs, vectors: dict[str, np.ndarray]) -> np.ndarray:
    a = np.stack([vectors[i] for i in pairs.id_a])
    b = np.stack([vectors[i] for i in pairs.id_b])
    return np.einsum("ij,ij->i", a, b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--store", type=Path, required=True, help="a store whose detection cache covers View 1")
    parser.add_argument("--detector", default="yunet")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, required=True, help="output stem: writes STEM.md and STEM.json")
    args = parser.parse_args()

    lfw = default_data_dir(args.data) / "lfw"
    train, test = parse_lfw_pairs(lfw / "pairsDevTrain.txt"), parse_lfw_pairs(lfw / "pairsDevTest.txt")
    ids = sorted({*train.id_a, *train.id_b, *test.id_a, *test.id_b})
    cache = DetectionCache.load(args.store / f"detections-{args.detector}.parquet", args.detector)
    base = get_spec(args.model)
    rows = []
    for order in ("RGB", "BGR"):
        spec = dataclasses.replace(base, colour_order=order)
        vectors = _embed(spec, ids, lfw / "images", cache, args.models_dir)
        s_train, s_test = _scores(train, vectors), _scores(test, vectors)
        threshold = best_threshold(s_train, train.same)
        rows.append(
            {
                "colour_order": order,
                "train_auc": roc_curve(s_train, train.same).auc(),
                "train_accuracy": float(((s_train >= threshold) == train.same).mean() * 100),
                "test_accuracy": float(((s_test >= threshold) == test.same).mean() * 100),
                "test_auc": roc_curve(s_test, test.same).auc(),
                "threshold": threshold,
            }
        )
    chosen = max(rows, key=lambda r: r["train_auc"])["colour_order"]
    record = {
        "model": base.name,
        "detector": args.detector,
        "rule": "higher ROC AUC on LFW View 1 pairsDevTrain; pairsDevTest accuracy at the DevTrain threshold as check",
        "n_images": len(ids),
        "n_pairs": {"train": train.n, "test": test.n},
        "chosen": chosen,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"# Colour order of {base.name}, chosen on LFW View 1",
        "",
        f"Written by `python scripts/choose_colour_order.py --model {base.name} --store {args.store}"
        f" --out {args.out}`. Faces: the store's {args.detector} detections; {len(ids)} View 1 images.",
        f"Rule: {record['rule']}. Chosen: **{chosen}**.",
        "",
        "| colour order | DevTrain AUC | DevTrain accuracy | DevTest accuracy (DevTrain threshold) | DevTest AUC |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['colour_order']} | {r['train_auc']:.5f} | {r['train_accuracy']:.2f} | {r['test_accuracy']:.2f}"
        f" | {r['test_auc']:.5f} |"
        for r in rows
    ]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
