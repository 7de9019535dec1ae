"""Golden embeddings: the whole path a user's image takes (decode, YuNet, the model's alignment template, the
model's preprocessing and runtime) pinned on three real LFW images per model.

An identity-separation test passes through many preprocessing regressions (a colour-order swap, a wrong mean, a
shifted crop each still separate people); pinned vectors catch them. The brief forbids committing embeddings of
LFW images, so what is pinned is a fingerprint, not the embedding: the unit vector of a fixed pseudo-random
projection of the embedding to 32 dimensions (rounded to 3 decimals) and the embedding's norm. A projection
preserves angles on average, so a change that moves the embedding to a cosine of 0.99 with the pinned one moves the
fingerprint by the same order (1 - cosine ~ 0.01, well past the 0.001 allowed), while 32 numbers cannot restore the
128-512 of an embedding. Regenerate (after a deliberate change, with a new preprocessing version) with
``python -m tests.models.test_model_golden`` and paste the output below.
"""

from __future__ import annotations

import numpy as np
import pytest

from facebridge.faces import align, choose_face
from facebridge.models import get_spec, load_model
from tests.helpers import LFW_IMAGES

from .conftest import MODELS_DIR, require_models
from .test_model_real_weights import NAMES

pytestmark = pytest.mark.models
IMAGES = ("Aaron_Peirsol/Aaron_Peirsol_0001.jpg", "Al_Gore/Al_Gore_0002.jpg", "Alan_Greenspan/Alan_Greenspan_0003.jpg")
FINGERPRINT_DIM = 32
MIN_COSINE = 0.999


def projection(dim: int) -> np.ndarray:
    """(dim, 32) fixed pseudo-random matrix from a closed formula (no generator whose stream could change)."""
    i, j = np.meshgrid(np.arange(1, dim + 1), np.arange(1, FINGERPRINT_DIM + 1), indexing="ij")
    return np.modf(np.abs(np.sin(i * 12.9898 + j * 78.233)) * 43758.5453)[0] - 0.5


def fingerprints(name: str) -> tuple[np.ndarray, np.ndarray]:
    """((3, 32) unit fingerprints, (3,) embedding norms) of :data:`IMAGES` through facebridge's own pipeline."""
    from facebridge.extraction.detect import make_detector
    from facebridge.images import load_image

    spec = get_spec(name)
    detector = make_detector("yunet", MODELS_DIR)
    crops = []
    for image_id in IMAGES:
        rgb = load_image(LFW_IMAGES / image_id).rgb
        face = choose_face(detector.detect(rgb), rgb.shape)
        crops.append(align(rgb, face, spec.alignment, **spec.alignment_params).crop)
    emb = load_model(name, MODELS_DIR, num_threads=1).embed(np.stack(crops)).astype(np.float64)
    projected = emb @ projection(emb.shape[1])
    return projected / np.linalg.norm(projected, axis=1, keepdims=True), np.linalg.norm(emb, axis=1)


# Per model: a line "name norm norm norm", then each image's unit fingerprint as two lines of 16 values; written by
# this module's __main__.
GOLDEN_TEXT = """
dlib-resnet29 1.484 1.3844 1.4053
0.196 -0.182 -0.228 0.016 0.130 0.218 0.006 0.481 0.333 0.000 -0.004 -0.136 0.240 0.009 -0.030 -0.240
0.000 -0.219 -0.191 0.158 0.066 -0.226 0.159 0.004 -0.171 0.130 -0.039 -0.064 0.034 0.192 0.188 -0.141
0.096 -0.147 -0.125 0.130 0.164 0.189 -0.151 0.353 0.282 -0.055 0.053 -0.207 0.233 0.111 0.051 -0.284
0.200 -0.200 -0.108 0.239 0.018 -0.007 0.087 0.075 -0.280 0.072 0.191 -0.076 -0.002 0.248 0.237 -0.206
0.229 -0.104 -0.232 -0.000 0.349 0.007 -0.136 0.398 0.157 0.102 0.002 -0.098 0.336 -0.062 0.035 -0.173
0.042 -0.253 -0.030 0.081 0.039 -0.199 0.095 0.111 -0.183 0.077 -0.064 -0.122 0.190 0.157 0.355 -0.107
openvino-reid-0095 15.372 15.993 13.616
-0.018 0.264 0.307 0.071 -0.237 -0.221 -0.244 -0.065 -0.038 0.115 0.137 0.272 0.365 0.119 0.155 0.148
-0.214 0.141 0.028 0.036 0.247 -0.174 -0.255 0.020 0.072 0.314 -0.094 0.109 -0.074 -0.003 -0.042 -0.071
0.335 0.080 0.258 0.052 -0.232 0.249 0.134 0.006 0.032 -0.118 0.220 0.081 -0.408 -0.140 0.059 0.131
-0.113 0.159 0.036 -0.206 -0.092 -0.071 0.099 -0.101 -0.088 0.351 -0.156 -0.068 0.251 0.216 -0.125 0.040
-0.101 0.110 -0.056 -0.179 0.044 -0.157 -0.137 0.195 0.007 0.270 -0.092 0.299 0.184 0.066 -0.299 0.030
0.505 -0.192 -0.040 0.155 0.031 -0.028 0.130 -0.053 -0.248 0.155 0.141 -0.014 -0.020 0.206 0.257 -0.076
mobilefacenet-ncnn 10.848 10.492 9.7801
-0.142 0.149 -0.037 0.405 0.126 0.015 0.322 -0.046 -0.194 0.050 -0.068 0.204 0.163 0.054 0.121 -0.031
0.070 0.129 -0.116 -0.061 0.056 -0.104 -0.024 -0.071 0.218 0.249 0.390 0.045 -0.204 0.070 0.403 0.086
0.016 -0.194 -0.004 -0.081 -0.322 0.020 -0.159 -0.209 0.017 0.155 -0.253 0.170 0.212 -0.099 0.055 0.201
-0.103 -0.165 0.067 0.167 0.311 -0.238 0.022 0.336 0.226 -0.037 -0.317 -0.187 -0.136 0.037 0.120 -0.086
0.009 -0.001 0.115 0.238 -0.074 0.051 0.275 0.214 0.226 0.232 0.225 0.202 0.057 -0.029 0.232 -0.215
0.085 -0.016 -0.039 -0.254 -0.044 0.117 -0.052 0.286 -0.105 -0.207 0.056 -0.295 0.317 0.080 -0.235 0.142
mobilefacenet-caffe 12.833 12.335 12.243
0.216 -0.101 -0.330 -0.019 0.167 -0.295 -0.221 0.362 -0.127 0.095 0.080 -0.262 0.050 -0.058 0.126 -0.243
0.094 0.072 0.072 -0.000 -0.088 -0.322 0.043 0.065 0.079 -0.044 -0.272 0.102 0.115 -0.292 0.127 -0.118
0.284 0.008 -0.079 0.019 0.390 -0.027 -0.180 -0.045 0.144 -0.223 -0.012 -0.123 0.041 -0.041 0.244 0.023
-0.051 0.396 -0.030 0.181 -0.034 0.072 0.041 -0.052 0.301 0.351 0.043 -0.061 0.072 0.268 -0.275 -0.010
0.136 0.016 -0.046 0.241 -0.270 0.066 0.187 -0.253 -0.062 0.212 -0.113 0.270 -0.047 0.080 0.131 -0.114
0.259 -0.364 -0.218 -0.256 0.028 -0.134 -0.087 0.061 -0.246 0.065 -0.338 -0.049 0.023 0.116 -0.020 -0.183
edgeface-xs 2.0843 1.9194 2.166
0.187 -0.101 0.174 0.011 -0.051 -0.157 0.169 -0.030 -0.169 0.029 0.477 0.463 -0.034 -0.107 0.313 0.087
0.012 -0.178 -0.020 -0.047 0.134 0.177 0.218 -0.084 -0.123 0.187 -0.051 0.111 -0.001 0.167 -0.205 0.071
0.081 0.228 0.102 -0.068 0.045 -0.138 -0.039 -0.042 -0.298 0.205 -0.041 -0.163 -0.072 -0.075 -0.016 -0.436
-0.029 -0.187 0.230 0.057 0.140 0.011 -0.068 0.083 0.150 -0.167 0.257 0.084 -0.188 -0.506 -0.014 0.053
-0.020 0.202 0.018 0.296 0.047 0.106 -0.101 0.155 0.384 0.016 0.216 -0.120 -0.191 0.042 -0.027 0.271
0.429 0.064 -0.124 -0.032 -0.140 0.089 -0.098 0.160 -0.251 -0.315 -0.147 0.019 0.167 0.102 -0.103 0.052
edgeface-xxs 1.7184 1.7594 1.9364
-0.118 -0.029 0.128 -0.149 -0.087 0.110 0.234 -0.059 0.228 -0.194 0.113 -0.093 -0.025 -0.008 -0.114 -0.184
-0.286 -0.063 -0.181 0.150 -0.046 0.231 0.347 0.121 0.083 0.095 0.072 0.014 0.062 0.459 0.312 0.213
0.118 0.255 0.051 -0.100 0.157 0.196 -0.141 -0.043 -0.103 -0.157 -0.117 0.029 -0.210 -0.163 -0.194 0.245
-0.107 0.157 0.484 -0.039 -0.079 0.334 0.038 0.296 0.146 0.159 0.103 0.047 -0.176 -0.120 0.138 -0.050
0.082 0.129 0.114 0.217 -0.171 -0.164 0.183 -0.093 0.324 0.300 -0.016 0.097 -0.123 0.043 -0.169 -0.116
0.296 0.028 0.004 0.093 -0.125 -0.224 -0.083 -0.368 -0.118 -0.193 0.093 -0.224 -0.176 -0.158 -0.002 0.290
faceplugin-512 3.6132 3.6571 3.3399
0.152 -0.029 0.155 -0.302 -0.011 -0.071 -0.323 0.009 0.327 -0.172 -0.091 0.080 0.145 0.055 0.027 0.142
0.057 0.201 -0.352 0.191 0.018 0.070 -0.097 -0.068 0.492 0.086 -0.069 -0.189 0.138 -0.060 0.025 0.135
0.152 -0.083 -0.163 -0.063 -0.232 0.320 -0.101 0.200 -0.280 0.070 -0.002 0.168 0.315 -0.246 -0.027 -0.055
0.137 -0.064 0.032 0.004 -0.223 -0.340 -0.079 0.300 0.145 -0.150 0.102 -0.088 0.021 -0.226 0.240 -0.040
-0.285 0.125 -0.020 0.423 0.076 0.013 -0.167 -0.086 -0.092 -0.052 0.245 0.143 0.067 0.109 0.072 -0.019
-0.304 0.206 0.071 -0.256 0.143 -0.163 -0.176 -0.067 -0.178 -0.124 -0.095 0.196 0.323 -0.132 -0.254 -0.015
hse-faceres 13.635 15.09 15.64
-0.102 0.311 0.023 0.144 -0.224 -0.137 -0.007 -0.100 0.191 -0.046 0.010 -0.087 -0.054 0.031 0.109 0.001
-0.060 0.009 -0.066 -0.273 0.279 -0.393 -0.137 0.165 0.216 -0.500 0.023 0.014 -0.133 -0.028 -0.220 -0.069
0.166 0.036 -0.107 0.140 -0.065 0.000 0.014 -0.081 -0.038 -0.027 0.132 -0.086 0.065 -0.422 -0.014 0.139
-0.026 -0.084 0.086 0.031 -0.011 -0.240 -0.425 -0.144 0.174 -0.309 0.160 -0.239 0.073 0.383 0.211 -0.139
-0.046 -0.083 0.190 0.062 0.014 0.025 -0.304 0.283 -0.103 0.078 0.163 -0.264 -0.128 0.012 -0.031 0.193
-0.259 -0.111 0.027 -0.574 0.045 -0.036 -0.315 0.082 0.084 0.132 0.117 -0.165 -0.098 -0.096 0.037 -0.069
"""


def golden() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """model -> ((3,) embedding norms, (3, 32) unit fingerprints) parsed from :data:`GOLDEN_TEXT`."""
    lines = GOLDEN_TEXT.strip().splitlines()
    out = {}
    for k in range(0, len(lines), 1 + 2 * len(IMAGES)):
        name, *norms = lines[k].split()
        values = np.array(" ".join(lines[k + 1 : k + 1 + 2 * len(IMAGES)]).split(), dtype=np.float64)
        out[name] = (np.array(norms, dtype=np.float64), values.reshape(len(IMAGES), FINGERPRINT_DIM))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_golden_fingerprints(name: str) -> None:
    require_models()
    norms, pinned = golden()[name]
    got, got_norms = fingerprints(name)
    cosines = (got * pinned).sum(axis=1)
    assert cosines.min() >= MIN_COSINE, dict(zip(IMAGES, cosines.round(5), strict=True))
    np.testing.assert_allclose(got_norms, norms, rtol=1e-3)


def test_a_small_change_moves_the_fingerprint_past_the_bound() -> None:
    """The fingerprint is sensitive: embeddings at cosine 0.99 from the original fail the check."""
    rng = np.random.default_rng(0)
    for dim in (128, 512):
        emb = rng.standard_normal((200, dim))
        noise = rng.standard_normal((200, dim))
        noise -= (noise * emb).sum(1, keepdims=True) / (emb * emb).sum(1, keepdims=True) * emb  # orthogonal
        noise *= np.linalg.norm(emb, axis=1, keepdims=True) / np.linalg.norm(noise, axis=1, keepdims=True)
        moved = 0.99 * emb + np.sqrt(1 - 0.99**2) * noise  # cosine exactly 0.99 with emb
        a, b = emb @ projection(dim), moved @ projection(dim)
        cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
        assert (cos < MIN_COSINE).mean() > 0.95, dim


if __name__ == "__main__":
    for model in NAMES:
        unit, norm = fingerprints(model)
        print(model, *(f"{v:.5g}" for v in norm))
        for row in unit:
            for half in (row[:16], row[16:]):
                print(" ".join(f"{v:.3f}" for v in half))
