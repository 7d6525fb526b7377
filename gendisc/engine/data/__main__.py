"""``python -m gendisc.engine.data list | download KEY... | remove KEY... | import PATH [--size N] [--color C]``,
``... forget KEY``

Manage datasets without the app: fetch a catalog dataset ahead of a headless run (a cluster's login node has
network, its compute nodes may not), free the disk space again, or import a dataset of your own.
"""

from __future__ import annotations

import argparse
import sys

from gendisc.engine.data import download as dl
from gendisc.engine.data import registry
from gendisc.engine.data.catalog import list_datasets, unload
from gendisc.engine.data.image_folder import COLORS
from gendisc.engine.data.sources import REMOTE
from gendisc.engine.errors import DatasetError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gendisc.engine.data", description=__doc__.split("\n\n")[1])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="every dataset with its state (bundled, installed, cached, downloadable, imported)")
    p = sub.add_parser("download", help="download catalog datasets into the data folder")
    p.add_argument("keys", nargs="+", choices=list(REMOTE), metavar="KEY", help=", ".join(REMOTE))
    p = sub.add_parser("remove", help="delete the downloaded files of catalog datasets")
    p.add_argument("keys", nargs="+", choices=list(REMOTE), metavar="KEY", help=", ".join(REMOTE))
    p = sub.add_parser("import", help="import an .npz, an IDX folder, CIFAR-10 batches or an image folder")
    p.add_argument("path")
    p.add_argument("--title", help="name shown in the app (default: the file or folder name)")
    p.add_argument("--size", type=int, help="image folders: resize every image to SIZE×SIZE")
    p.add_argument("--color", choices=COLORS, default="auto", help="image folders: gray, rgb or auto (default)")
    p = sub.add_parser("forget", help="remove an imported dataset from the list (your files stay)")
    p.add_argument("key")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            print(f"data folder: {dl.data_dir()}")
            for info in list_datasets():
                c, h, w = info.image_shape
                extra = f"  ({dl.format_bytes(info.download_bytes)} to download)" if info.download_bytes else ""
                print(f"{info.key:16} {info.source:12} {info.n_train:>7,} train {info.n_test:>7,} test  {h}×{w}×{c}  "
                      f"{info.title}{extra}")
        elif args.command == "download":
            for key in args.keys:
                dl.download(key, dl.line_progress(sys.stderr))
                print(f"{key}: ready in {dl.download_dir(key)}")
        elif args.command == "remove":
            for key in args.keys:
                unload(key)
                print(f"{key}: removed {dl.format_bytes(dl.remove_download(key))}")
        elif args.command == "import":
            entry, _ = registry.import_dataset(args.path, args.title, args.size, args.color)
            print(f"imported {entry.origin} as {entry.key}: {entry.n_train:,} training images"
                  f"{f' + {entry.n_test:,} test' if entry.n_test else ''}, {len(entry.class_names)} classes")
            for note in entry.notes:
                print(f"note: {note}")
        elif args.command == "forget":
            registry.forget(args.key)
            unload(args.key)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; nothing half-downloaded was kept", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
