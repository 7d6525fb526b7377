"""engine.evaluate.inspect: confusion matrix, cells, worst mistakes and the PCA feature map. No Qt here."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gendisc.engine.evaluate.inspect import (
    cell_indices,
    features_and_logits,
    fit_pca,
    inspect_classifier,
    per_class_accuracy,
    worst_mistakes,
)
from gendisc.engine.models.cnn import build_cnn


class Scripted(nn.Module):
    """A 'classifier' that predicts the class written in pixel (0, 0), with a confidence from pixel (0, 1)."""

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.n = n_classes
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cls = x[:, 0, 0, 0].round().long()
        return F.one_hot(cls, self.n).float() * x[:, 0, 0, 1:2] * self.scale


def scripted_set(labels: list[int], preds: list[int], margins: list[float]) -> torch.Tensor:
    x = torch.zeros(len(labels), 1, 4, 4)
    x[:, 0, 0, 0] = torch.tensor(preds, dtype=torch.float32)
    x[:, 0, 0, 1] = torch.tensor(margins)
    return x


def test_confusion_counts_match_a_direct_count_and_sum_to_the_set_size() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 60)
    preds = np.where(rng.random(60) < 0.7, labels, rng.integers(0, 4, 60))
    ins = inspect_classifier(Scripted(4), scripted_set(list(labels), list(preds), [3.0] * 60), labels, 4)
    direct = np.zeros((4, 4), dtype=np.int64)
    for t, p in zip(labels, preds, strict=True):
        direct[t, p] += 1
    assert ins.confusion.sum() == 60 == ins.n
    np.testing.assert_array_equal(ins.confusion, direct)
    np.testing.assert_array_equal(ins.predictions, preds)
    np.testing.assert_allclose(ins.per_class_accuracy(), np.diag(direct) / direct.sum(axis=1))
    assert ins.accuracy == pytest.approx(np.mean(preds == labels))


def test_every_image_is_in_exactly_one_cell_and_cells_hold_what_they_say() -> None:
    rng = np.random.default_rng(1)
    labels, preds = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    seen = np.zeros(200, dtype=int)
    cm = np.zeros((5, 5), dtype=int)
    for t in range(5):
        for p in range(5):
            idx = cell_indices(labels, preds, t, p)
            assert np.all(labels[idx] == t) and np.all(preds[idx] == p)
            assert np.all(np.diff(idx) > 0)
            seen[idx] += 1
            cm[t, p] = len(idx)
    assert np.all(seen == 1)
    np.testing.assert_array_equal(cm.sum(), 200)


def test_worst_mistakes_are_the_wrong_ones_by_decreasing_loss() -> None:
    labels = [0, 1, 2, 0, 1, 2]
    preds = [0, 2, 2, 1, 0, 0]
    margins = [5.0, 1.0, 5.0, 4.0, 0.5, 2.0]   # a larger margin on the wrong class means a larger loss
    x = scripted_set(labels, preds, margins)
    ins = inspect_classifier(Scripted(3), x, np.array(labels), 3)
    expected_losses = F.cross_entropy(Scripted(3)(x), torch.tensor(labels), reduction="none").detach().numpy()
    np.testing.assert_allclose(ins.losses, expected_losses, rtol=1e-6)
    worst = ins.worst_mistakes(10)
    assert list(worst) == [3, 5, 1, 4]
    assert list(ins.worst_mistakes(2)) == [3, 5]
    assert list(worst_mistakes(np.array(labels), np.array(labels), ins.losses, 5)) == []


def test_per_class_accuracy_of_an_absent_class_is_nan() -> None:
    acc = per_class_accuracy(np.array([[3, 1], [0, 0]]))
    assert acc[0] == 0.75 and np.isnan(acc[1])


def test_pca_matches_numpy_svd_of_the_centred_data() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + rng.normal(size=6) * 5
    pca = fit_pca(x, 2)
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    for k in range(2):   # the same axes up to sign, and the sign rule holds
        assert abs(float(pca.components[k] @ vt[k])) == pytest.approx(1.0, abs=1e-9)
        assert pca.components[k][np.abs(pca.components[k]).argmax()] > 0
    np.testing.assert_allclose(np.abs(pca.transform(x)), np.abs(centred @ vt[:2].T), atol=1e-9)
    np.testing.assert_allclose(pca.explained_ratio, s[:2] ** 2 / np.sum(s**2))
    # and the variance along each axis is the covariance matrix's largest eigenvalues
    eig = np.sort(np.linalg.eigvalsh(np.cov(x, rowvar=False)))[::-1]
    np.testing.assert_allclose(pca.transform(x).var(axis=0, ddof=1), eig[:2], rtol=1e-9)


def test_pca_of_too_few_samples_pads_with_zero_axes() -> None:
    pca = fit_pca(np.array([[1.0, 2.0, 3.0]]), 2)
    assert pca.components.shape == (2, 3)
    np.testing.assert_array_equal(pca.transform(np.array([[1.0, 2.0, 3.0]])), [[0.0, 0.0]])


def test_cnn_inspection_uses_penultimate_features_and_the_models_own_predictions() -> None:
    torch.manual_seed(0)
    model = build_cnn("bn", (1, 28, 28), 10).train()
    x = torch.rand(40, 1, 28, 28) * 2 - 1
    y = torch.randint(0, 10, (40,))
    ins = inspect_classifier(model, x, y, 10, batch_size=16)
    assert model.training   # the mode is restored
    model.eval()
    with torch.no_grad():
        feats, logits = model.features(x), model(x)
    np.testing.assert_array_equal(ins.predictions, logits.argmax(1).numpy())
    np.testing.assert_allclose(ins.map_2d, ins.pca.transform(feats.double().numpy()), rtol=1e-4, atol=1e-4)
    assert ins.pca.mean.shape == (128,)
    f2, l2 = features_and_logits(model, x[:3])
    np.testing.assert_allclose(l2.numpy(), logits[:3].numpy(), rtol=1e-5, atol=1e-5)
    assert f2.shape == (3, 128)


def test_an_empty_set_gives_an_empty_inspection() -> None:
    ins = inspect_classifier(Scripted(3), torch.zeros(0, 1, 4, 4), np.zeros(0, dtype=np.int64), 3)
    assert ins.n == 0 and ins.confusion.shape == (3, 3) and ins.confusion.sum() == 0
    assert np.isnan(ins.accuracy) and ins.worst_mistakes(5).size == 0
