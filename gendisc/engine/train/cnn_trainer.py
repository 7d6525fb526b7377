"""Training a classifier as a generator of reports (see :mod:`gendisc.engine.train.reports`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from gendisc.engine.config import CnnConfig
from gendisc.engine.data.augment import augment_batch
from gendisc.engine.data.tensors import TensorData
from gendisc.engine.devices import pick_device
from gendisc.engine.evaluate.classify import Evaluation, evaluate_classifier, final_metrics
from gendisc.engine.models.build import build_classifier
from gendisc.engine.runs.folder import RunFolder, open_for_training
from gendisc.engine.runs.labels import write_label_subset
from gendisc.engine.runs.metrics import epoch_record, is_partial
from gendisc.engine.runs.state import (
    numpy_state,
    pack_module,
    pack_optimizer,
    pack_rng,
    unpack_module,
    unpack_optimizer,
    unpack_rng,
)
from gendisc.engine.train.allocator import steady_allocator
from gendisc.engine.train.chance import chance_warning
from gendisc.engine.train.checkpoint_meta import data_meta, loop_meta, resume_meta
from gendisc.engine.train.control import Control
from gendisc.engine.train.generated import MixedBatches, generated_images
from gendisc.engine.train.loop import (
    Every,
    Loop,
    LoopState,
    StepLog,
    check_interval,
    epoch_order,
    lr_factor,
    make_optimizer,
    oom_error,
    set_lr,
)
from gendisc.engine.train.precision import training_autocast
from gendisc.engine.train.reports import EpochReport, FinishedReport, Report, WeightsReport

if TYPE_CHECKING:
    from gendisc.engine.train.distributed import Dist


def train_cnn(cfg: CnnConfig, data: TensorData, control: Control | None = None,
              run_dir: str | os.PathLike[str] | None = None, resume: bool = False,
              publish_weights_s: float | None = None, autosave_s: float | None = 300.0,
              dist: Dist | None = None) -> Iterator[Report]:
    """Train a classifier on ``data``; yield step, epoch, weights and (last) finished reports.

    Parameters
    ----------
    run_dir
        Where to write config, metrics and checkpoints; ``None`` trains in memory only.
    resume
        Continue the run saved in ``run_dir`` exactly where it stopped (model, optimizer, RNGs, counters).
    publish_weights_s
        If set, yield a :class:`WeightsReport` at most this often (the GUI's draw panel uses it).
    autosave_s
        Write a checkpoint this often (besides every epoch end, a checkpoint request and the end); None: never.
    dist
        Distributed training (``torchrun``): this rank trains on its shard of ``data``; only rank 0 writes
        ``run_dir`` (the others read it to resume).

    Raises
    ------
    TrainingError
        A loss or a weight became NaN or infinite (the message names the step; nothing non-finite is saved, the
        last good checkpoint stays), or the device ran out of memory (the message suggests a smaller batch).
    """
    check_interval("autosave interval", autosave_s)
    check_interval("weights publishing interval", publish_weights_s)
    device = dist.device if dist else pick_device(cfg.device)
    try:
        with steady_allocator():
            yield from _train(cfg, data, control or Control(), device, run_dir, resume, publish_weights_s,
                              autosave_s, dist)
    except torch.OutOfMemoryError:   # anywhere: a step, validation, the final evaluation
        raise oom_error(device, min(cfg.batch_size, len(data.train_x))) from None


def _train(cfg: CnnConfig, data: TensorData, control: Control, device: torch.device,
           run_dir: str | os.PathLike[str] | None, resume: bool, publish_weights_s: float | None,
           autosave_s: float | None, dist: Dist | None) -> Iterator[Report]:
    torch.manual_seed(cfg.seed)   # the same initial weights on every rank
    gen = torch.Generator().manual_seed(cfg.seed + 1 + (dist.rank if dist else 0))   # ranks augment differently
    if dist is not None:
        from gendisc.engine.train import distributed
    shard = distributed.shard(data, dist) if dist else data
    x_train, y_train = shard.train_x.to(device), shard.train_y.to(device)
    x_val, y_val = data.val_x.to(device), data.val_y.to(device)
    # channels-last suits the batch-norm network on a CPU (~25% faster); the classic one runs ~8% slower with it
    fmt = torch.channels_last if device.type == "cpu" and cfg.arch == "bn" else torch.contiguous_format
    autocast = training_autocast(cfg.precision, device)
    model = build_classifier(cfg, data.image_shape, data.n_classes).to(device, memory_format=fmt)
    opt = make_optimizer(model.parameters(), cfg.optimizer, cfg.l2)
    # loaded (and checked against the data) before the run folder is written; a pool is drawn from a seed of its
    # own, so a resumed run rebuilds the pool it trained on
    resumed_from = _generator_step_of(run_dir) if resume and cfg.generated_share > 0 else None
    generated = yield from generated_images(cfg, data, device, control, resumed_from)
    generator_step = generated.source_step if generated is not None else None
    batch = min(cfg.batch_size, len(x_train))
    batches = MixedBatches.plan(x_train, y_train, batch, generated, cfg.generated_share)
    state = LoopState()
    main = dist is None or dist.is_main
    run = open_for_training(run_dir, cfg, resume) if main else None
    if run is not None and not resume and data.labelled is not None:
        write_label_subset(run.path, cfg.data, data.labelled, data.train_y.cpu().numpy())
    if resume:
        folder = run or RunFolder(run_dir)
        tensors, meta = folder.load_checkpoint()
        source = folder.checkpoint_file   # every value is checked before it is used; errors name the file
        state = resume_meta(meta, data, source, "optim")
        unpack_module("model", model, tensors, source)
        unpack_optimizer("optim", opt, tensors, meta["optim"], source)
        unpack_rng(gen, tensors, source)
        if run is not None:
            run.truncate_metrics(state.step)
    # validation accuracy of every whole epoch so far: the at-chance warning looks back across a resume
    accs = [float(r["val_acc"]) for r in run.read_metrics() if isinstance(r.get("val_acc"), (int, float))
            and not is_partial(r)] if run is not None and resume else []
    net = distributed.wrap(model, dist) if dist else model   # forward and backward through DDP, the rest on model
    # few labels: an epoch is as many images as the training split holds (this rank's share of it)
    epoch_images = data.epoch_images * len(x_train) // max(1, len(data.train_x))
    loop = Loop(cfg.budget, max(1, epoch_images // batch), control, state, dist.agree if dist else None)
    order = None
    log = StepLog("cnn", ("train_loss",), loop, cfg.log_every, watch={"model": model}, run=run)
    publish = Every(publish_weights_s)
    autosave = Every(autosave_s if run_dir is not None else None)
    best_state: dict[str, torch.Tensor] | None = None
    lr = cfg.optimizer.lr
    model.train()
    while (reason := loop.before_step()) is None:
        if batches.n_real and (order is None or loop.step_in_epoch == 0):
            order = epoch_order(len(x_train), cfg.seed, loop.epoch, device, loop.steps_per_epoch * batches.n_real)
        lr = cfg.optimizer.lr * lr_factor(cfg.schedule, loop.progress())
        set_lr(opt, lr)
        xb, yb = batches.take(order, loop.step_in_epoch, gen)   # real, generated, or some of both
        xb = augment_batch(xb, cfg.data, gen)
        xb = xb.contiguous(memory_format=fmt)
        with autocast():
            logits = net(xb)
            loss = F.cross_entropy(logits.float(), yb, label_smoothing=cfg.label_smoothing)
        if cfg.l1 > 0:
            loss = loss + cfg.l1 * sum(p.abs().sum() for n, p in model.named_parameters() if "weight" in n)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        state.step += 1
        log.add(loss, len(yb))
        if log.due():
            yield log.report(lr)   # raises on a NaN loss or weight
        if publish.due():
            log.check(lr)   # the draw panel never gets NaN weights
            yield WeightsReport("cnn", state.step, numpy_state(model))
        # an epoch end saves below, after its metrics line: a checkpoint never runs ahead of metrics.jsonl
        if (control.take_checkpoint_request() or autosave.due()) and run is not None and not loop.at_epoch_end:
            log.check(lr)
            _save(run, model, opt, gen, state, data, generator_step)
        if loop.at_epoch_end:
            ev = evaluate_classifier(model, x_val, y_val, data.n_classes)
            accs.append(ev.accuracy)
            warning = chance_warning(accs, data.n_classes, cfg.optimizer.lr, cfg.optimizer.name)
            yield _epoch_report(run, loop, ev, warning)
            if cfg.early_stopping and len(x_val):
                if ev.loss < state.best_val_loss - 1e-4:
                    state.best_val_loss, state.bad_epochs = ev.loss, 0
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    state.bad_epochs += 1
                    if state.bad_epochs >= cfg.early_stopping:
                        reason = "early-stopped"
                        break
            if run is not None:
                _save(run, model, opt, gen, state, data, generator_step)
            log.restart_clock()   # validation and saving are not training throughput
    log.check(lr)   # steps since the last report: a stop must not save (or report) NaN weights
    partial_ev = partial = None
    if loop.mid_epoch:   # ended by a stop or a budget: the partial epoch is validated and recorded too
        partial_ev = evaluate_classifier(model, x_val, y_val, data.n_classes)
        partial = _epoch_report(run, loop, partial_ev)
    if reason == "early-stopped" and best_state is not None:
        model.load_state_dict(best_state)   # keep the weights of the best validation epoch
    if run is not None:
        _save(run, model, opt, gen, state, data, generator_step)   # before the next yield: a consumer may drop us there
    if partial is not None:
        yield partial
    yield WeightsReport("cnn", state.step, numpy_state(model))
    elapsed = loop.elapsed()   # training time: the final evaluation below is not part of it
    yield FinishedReport("cnn", loop.epoch - loop.at_epoch_end, state.step, reason,
                         final_metrics(model, data, partial_ev), elapsed, str(run.path) if run else None,
                         loop.epochs_done)


def _epoch_report(run: RunFolder | None, loop: Loop, ev: Evaluation, warning: str | None = None) -> EpochReport:
    """Record the validation figures of the epoch just ended (or, mid-epoch, of its part done) and report them."""
    metrics = {"val_loss": ev.loss, "val_acc": ev.accuracy}
    epoch, fraction, elapsed = loop.epoch - loop.at_epoch_end, loop.epoch_fraction, loop.elapsed()
    if run is not None:
        run.append_metrics(epoch_record(epoch, loop.step, elapsed, metrics, fraction))
    return EpochReport("cnn", epoch, loop.step, metrics, elapsed, confusion=ev.confusion, epoch_fraction=fraction,
                       warning=warning)


def _save(run: RunFolder, model: torch.nn.Module, opt: torch.optim.Optimizer, gen: torch.Generator,
          state: LoopState, data: TensorData, generator_step: int | None) -> None:
    optim_tensors, optim_meta = pack_optimizer("optim", opt)
    tensors = {**pack_module("model", model), **optim_tensors, **pack_rng(gen)}
    generated = {} if generator_step is None else {"generator_step": generator_step}
    run.save_checkpoint(tensors, {"kind": "cnn", "loop": loop_meta(state), "optim": optim_meta,
                                  **data_meta(data), **generated})


def _generator_step_of(run_dir: str | os.PathLike[str] | None) -> int | None:
    """The step of the generator run a CNN run's images came from, as its checkpoint recorded it (``None`` for a
    checkpoint of before the record, or without a number there)."""
    step = RunFolder(run_dir).read_meta().get("generator_step") if run_dir is not None else None
    return step if isinstance(step, int) and not isinstance(step, bool) else None
