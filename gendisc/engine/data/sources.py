"""The datasets GenDisc Studio can download: official URLs, sizes and SHA-256 hashes, licences and credits.

Sizes and SHA-256 hashes are those TensorFlow Datasets records in its ``url_checksums`` for these very files,
the same values other projects publish for them. A download whose bytes do not hash to these values is refused;
nothing is kept.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DIGITS = tuple(str(i) for i in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
KMNIST_CLASSES = ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")   # romanised hiragana
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

MNIST_CREDIT = "MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, CC BY-SA 3.0"
FASHION_CREDIT = "Fashion-MNIST by Han Xiao, Kashif Rasul and Roland Vollgraf (Zalando Research), MIT license"
KMNIST_CREDIT = ('"KMNIST Dataset" (created by CODH), adapted from "Kuzushiji Dataset" (created by NIJL and '
                 "others), doi:10.20676/00000341, CC BY-SA 4.0")
CIFAR10_CREDIT = ("CIFAR-10 by Alex Krizhevsky, Vinod Nair and Geoffrey Hinton (Learning Multiple Layers of "
                  "Features from Tiny Images, 2009); free to use, please cite the report")

# Serve every file from {mirror}/{dataset key}/{file name} instead (an institute's mirror, an offline copy);
# the official hashes still apply, so a mirror must hold the very same bytes.
MIRROR_ENV = "GENDISC_DATASET_MIRROR"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a downloadable dataset; ``sha256`` is the hash of the file as served (compressed)."""

    name: str
    url: str
    size: int
    sha256: str

    @property
    def known_hash(self) -> str:
        return f"sha256:{self.sha256}"


@dataclass(frozen=True)
class RemoteDataset:
    """A dataset that can be downloaded. ``layout`` says how its files are read: ``idx`` (an MNIST-style
    folder of four IDX files) or ``cifar-bin`` (the CIFAR-10 binary-version archive)."""

    key: str
    title: str
    files: tuple[RemoteFile, ...]
    layout: str
    image_shape: tuple[int, int, int]
    class_names: tuple[str, ...]
    n_train: int
    n_test: int
    description: str
    credit: str
    license: str
    homepage: str

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def url_for(self, f: RemoteFile) -> str:
        """Where ``f`` is fetched from: the official URL, or the mirror named by ``GENDISC_DATASET_MIRROR``."""
        mirror = os.environ.get(MIRROR_ENV, "").strip()
        return f"{mirror.rstrip('/')}/{self.key}/{f.name}" if mirror else f.url


def _idx_files(base: str, sizes_hashes: tuple[tuple[int, str], ...]) -> tuple[RemoteFile, ...]:
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    return tuple(RemoteFile(n, base + n, size, sha) for n, (size, sha) in zip(names, sizes_hashes, strict=True))


# torchvision's maintained mirror of the original files (yann.lecun.com no longer serves them reliably)
MNIST = RemoteDataset(
    "mnist", "MNIST", _idx_files("https://ossci-datasets.s3.amazonaws.com/mnist/", (
        (9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        (28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        (1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        (4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"))),
    "idx", (1, 28, 28), DIGITS, 60000, 10000,
    "The full handwritten-digit dataset, official 60k/10k split", MNIST_CREDIT, "CC BY-SA 3.0",
    "https://yann.lecun.com/exdb/mnist/")

FASHION_MNIST = RemoteDataset(
    "fashion-mnist", "Fashion-MNIST", _idx_files("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", (
        (26421880, "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
        (29515, "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
        (4422102, "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
        (5148, "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"))),
    "idx", (1, 28, 28), FASHION_CLASSES, 60000, 10000,
    "Zalando's article images: 10 kinds of clothing, official 60k/10k split", FASHION_CREDIT, "MIT",
    "https://github.com/zalandoresearch/fashion-mnist")

# The MNIST-format (IDX) copy CODH publishes beside the .npz one: same images, same split, read by the same code
KMNIST = RemoteDataset(
    "kmnist", "Kuzushiji-MNIST", _idx_files("http://codh.rois.ac.jp/kmnist/dataset/kmnist/", (
        (18165135, "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4"),
        (29497, "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17"),
        (3041136, "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5"),
        (5120, "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c"))),
    "idx", (1, 28, 28), KMNIST_CLASSES, 60000, 10000,
    "Cursive Japanese (Kuzushiji) characters, one per row of the hiragana table, official 60k/10k split",
    KMNIST_CREDIT, "CC BY-SA 4.0", "http://codh.rois.ac.jp/kmnist/")

CIFAR10 = RemoteDataset(
    "cifar10", "CIFAR-10", (RemoteFile(
        "cifar-10-binary.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", 170052171,
        "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"),),
    "cifar-bin", (3, 32, 32), CIFAR10_CLASSES, 50000, 10000,
    "Small colour photos of 10 kinds of objects and animals, official 50k/10k split", CIFAR10_CREDIT,
    "no formal licence (cite the 2009 report)", "https://www.cs.toronto.edu/~kriz/cifar.html")

# The catalog's downloadable datasets, in the order the app lists them (tests add their own entries here)
REMOTE: dict[str, RemoteDataset] = {d.key: d for d in (MNIST, FASHION_MNIST, KMNIST, CIFAR10)}
