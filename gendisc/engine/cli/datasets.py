"""``gendisc datasets [list | download KEY... | remove KEY... | import PATH | forget KEY]``: datasets, no app."""

from __future__ import annotations

import argparse
import sys

from gendisc.engine.data import download as dl
from gendisc.engine.data import registry
from gendisc.engine.data.catalog import list_datasets, unload
from gendisc.engine.data.image_folder import COLORS
from gendisc.engine.data.sources import REMOTE


def add_dataset_commands(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="dataset_command", metavar="ACTION")
    sub.add_parser("list", help="every dataset with its state (bundled, installed, cached, downloadable, imported); "
                                "the default")
    q = sub.add_parser("download", help="download catalog datasets into the data folder")
    q.add_argument("keys", nargs="+", choices=list(REMOTE), metavar="KEY", help=", ".join(REMOTE))
    q = sub.add_parser("remove", help="delete the downloaded files of catalog datasets")
    q.add_argument("keys", nargs="+", choices=list(REMOTE), metavar="KEY", help=", ".join(REMOTE))
    q = sub.add_parser("import", help="import an .npz, an IDX folder, CIFAR-10 batches or an image folder")
    q.add_argument("path")
    q.add_argument("--title", help="name shown in the app (default: the file or folder name)")
    q.add_argument("--size", type=int, help="image folders: resize every image to SIZE×SIZE")
    q.add_argument("--color", choices=COLORS, default="auto", help="image folders: gray, rgb or auto (default)")
    q = sub.add_parser("forget", help="remove an imported dataset from the list (your files stay)")
    q.add_argument("key")


def cmd_datasets(args: argparse.Namespace) -> int:
    """Raises ``DatasetError`` for the caller's one-line message; Ctrl+C during a download keeps nothing."""
    command = args.dataset_command or "list"
    try:
        if command == "list":
            print(f"data folder: {dl.data_dir()}")
            for info in list_datasets():
                c, h, w = info.image_shape
                extra = f"  ({dl.format_bytes(info.download_bytes)} to download)" if info.download_bytes else ""
                print(f"{info.key:16} {info.source:12} {info.n_train:>7,} train {info.n_test:>7,} test  {h}×{w}×{c}  "
                      f"{len(info.class_names)} classes  {info.title}{extra}")
        elif command == "download":
            for key in args.keys:
                dl.download(key, dl.line_progress(sys.stderr))
                print(f"{key}: ready in {dl.download_dir(key)}")
        elif command == "remove":
            for key in args.keys:
                unload(key)
                print(f"{key}: removed {dl.format_bytes(dl.remove_download(key))}")
        elif command == "import":
            entry, _ = registry.import_dataset(args.path, args.title, args.size, args.color)
            print(f"imported {entry.origin} as {entry.key}: {entry.n_train:,} training images"
                  f"{f' + {entry.n_test:,} test' if entry.n_test else ''}, {len(entry.class_names)} classes")
            for note in entry.notes:
                print(f"note: {note}")
        elif command == "forget":
            registry.forget(args.key)
            unload(args.key)
    except KeyboardInterrupt:
        print("\ninterrupted; nothing half-downloaded was kept", file=sys.stderr)
        return 130
    return 0
