"""The semi-supervised GAN's discriminator: a classifier that also tells real images from generated ones.

Salimans et al. (2016), "Improved Techniques for Training GANs": K class logits l₁…l_K and an implicit "fake"
class with logit 0, so the probability that an image is real is D(x) = Z/(Z+1) with Z = Σₖ exp(lₖ), i.e.
σ(logsumexp(l)). Odena (2016) gives the fake class a logit of its own (``explicit``): D(x) = σ(logsumexp(l) − l_fake).

``forward`` returns the K class logits, so the discriminator is a classifier like the CNN wherever one is used
(the Draw panel, Inspect, evaluation, export); ``features`` is the last hidden layer the generator's feature
matching compares.
"""

from __future__ import annotations

import torch
from torch import nn

from gendisc.engine.models.shapes import upsampling_steps


class SsganDiscriminator(nn.Module):
    """images N×C×H×W in [-1, 1] → class logits N×K.

    Strided convolutions halve the image (28 → 14 → 7, 32 → 16 → 8 → 4) and a 3×3 convolution's maps, flattened,
    are ``features`` (a global average pool instead learns the classes of 50 images several times slower); channel
    dropout between the convolutions (whole feature maps: elementwise dropout
    masks cost more on a CPU than the convolutions they drop from) and dropout on the features keep a
    discriminator that sees only a few labels from memorising them.
    """

    def __init__(self, in_shape: tuple[int, int, int], n_classes: int, width: int = 32, dropout: float = 0.3,
                 explicit_fake: bool = False) -> None:
        super().__init__()
        c, side, _ = in_shape
        self.n_classes = n_classes
        self.explicit_fake = explicit_fake
        layers: list[nn.Module] = []
        ch_in, ch = c, width
        for i in range(upsampling_steps(side)):
            layers += [nn.Conv2d(ch_in, ch, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
                       nn.Dropout2d(dropout * (1 if i == 0 else 2) / 3)]
            ch_in, ch = ch, ch * 2
        layers += [nn.Conv2d(ch_in, ch, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True), nn.Flatten()]
        self.body = nn.Sequential(*layers)
        self.n_features = ch * (side // 2 ** upsampling_steps(side)) ** 2
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.n_features, n_classes))
        # Odena's K+1st logit as a head of its own: ``head`` stays the class logits every classifier view reads
        self.fake_head = nn.Sequential(nn.Dropout(dropout), nn.Linear(self.n_features, 1)) if explicit_fake else None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def all_logits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The K class logits and the real-vs-fake logit log Z − l_fake (l_fake = 0 for the implicit head)."""
        h = self.body(x)
        classes = self.head(h)
        real = torch.logsumexp(classes, 1)
        return classes, real if self.fake_head is None else real - self.fake_head(h).squeeze(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))
