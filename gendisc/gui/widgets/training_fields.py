"""The training panel's form rows: every hyperparameter of the CNN, the GAN, the flow model, the semi-supervised GAN
and the run, with its label, range and tooltip (the engine's config validation still checks every value a form
builds)."""

from __future__ import annotations

from gendisc.engine.config import CNN_ARCHS, OPTIMIZERS, SSGAN_HEADS
from gendisc.gui.widgets.config_form import Field

OPT = tuple((name, {"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD + momentum"}[name]) for name in OPTIMIZERS)
# short names: a narrow left column must show them whole; the field's tooltip says what each does
SCHEDULE_CHOICES = (("onecycle", "One-cycle"), ("cosine", "Cosine"), ("step", "Steps ×0.1"), ("constant", "Constant"))

PRECISION = Field("precision", "Precision", "choice", "Of the training steps. bf16: bfloat16 arithmetic (autocast), "
                  "1.5–2× as fast on a CPU that computes it natively (AVX-512 BF16 or AMX), slightly rounder; the "
                  "weights and every evaluation stay fp32. Auto: bf16 on such a CPU, fp32 elsewhere.",
                  choices=(("auto", "Auto"), ("fp32", "fp32"), ("bf16", "bfloat16")))

CNN_FIELDS = [
    Field("arch", "Architecture", "choice", "bn: two conv-batchnorm stages and dropout (strong default). classic: "
          "conv32–conv64–maxpool–dense128, the network of the Keras MNIST example.",
          choices=tuple((a, {"bn": "Batch-norm CNN", "classic": "Classic conv32–conv64"}[a]) for a in CNN_ARCHS)),
    PRECISION,
    Field("optimizer.name", "Optimizer", "choice", "How the weights are updated from the gradients.", choices=OPT),
    Field("optimizer.lr", "Learning rate", "log", "Step size of the optimizer. Too high and the loss explodes "
          "(the run stops with a message); too low and learning crawls.", 1e-6, 1.0),
    Field("schedule", "LR schedule", "choice", "How the learning rate changes over the run (it follows the time "
          "limit when one is set). One-cycle: a short warm-up, then a cosine down to almost nothing. Cosine: a "
          "cosine decay from the start. Steps ×0.1: the rate falls tenfold at 50% and again at 75% of the run. "
          "Constant: the same rate throughout.", choices=SCHEDULE_CHOICES),
    Field("batch_size", "Batch size", "int", "Images per optimizer step. Larger is faster per image but "
          "needs more memory.", 1, 4096),
    Field("budget.epochs", "Epochs", "int", "Passes over the training set.", 1, 1000),
    Field("dropout", "Dropout", "float", "Probability of zeroing a unit while training; fights overfitting.",
          0.0, 0.9, 2, 0.05),
    Field("l1", "L1 penalty", "float", "Adds λ·Σ|w| to the loss: pushes weights to exactly zero.", 0.0, 0.1, 5,
          1e-5),
    Field("l2", "L2 penalty", "float", "Weight decay: adds λ·w to each gradient, keeps weights small.", 0.0, 0.1,
          5, 1e-4),
    Field("label_smoothing", "Label smoothing", "float", "Softens the one-hot targets; better-calibrated "
          "probabilities on the draw panel.", 0.0, 0.5, 2, 0.01),
    Field("data.augment", "Augmentation", "bool", "Random changes to every batch, as the dataset suits: for "
          "handwriting small shifts, rotations, zooms, slants, bends and thicker or thinner strokes, so the "
          "network knows digits written the way you draw them; for clothes mirror images."),
    Field("early_stopping", "Early stopping", "int", "Stop when validation loss has not improved for this many "
          "epochs (0 = never); the best weights are kept.", 0, 100),
    Field("generated_from", "Generated from", "folder", "Add images a generator draws to every batch: the folder of "
          "a conditional GAN run, a conditional flow run or a semi-supervised GAN run (its discriminator names the "
          "classes of its images; with few labels this is the one to use: it learnt from every unlabelled image). "
          "Empty: real images only. To train on generated images alone (the CAS), use Runs → CNN on it."),
    Field("generated_share", "Generated share", "float", "Share of every batch drawn by that generator; the rest "
          "are real (labelled) images. Choose the folder first.", 0.0, 0.75, 2, 0.05, requires="generated_from",
          off_value=0.0),
]

GAN_FIELDS = [
    Field("conditional", "Conditional", "bool", "Class-conditional generator and discriminator: G is told which "
          "class to draw, D judges image and class together. Samples are class-balanced, you can pick the class "
          "in the Latent panel, and the GAN learns every class instead of collapsing to a few."),
    Field("loss", "Loss", "choice", "Non-saturating BCE (the DCGAN loss) or hinge loss (as in SN-GAN).",
          choices=(("bce", "Non-saturating (BCE)"), ("hinge", "Hinge"))),
    Field("spectral_norm", "Spectral norm in D", "bool", "Normalise every discriminator layer by its largest "
          "singular value (Miyato et al., 2018): D cannot become arbitrarily sharp, so G keeps getting useful "
          "gradients. Replaces batch norm in D."),
    Field("ema", "EMA of G", "float", "Decay of the exponential moving average of the generator's weights; the "
          "averaged generator draws every sample you see (smoother, cleaner images). 0 = off.", 0.0, 0.9999, 4,
          0.001),
    Field("latent_dim", "Latent size", "int", "Length of the noise vector z the generator turns into an image.",
          2, 512),
    Field("g_width", "G width", "int", "Channels of the generator's last hidden layer (doubled in the one "
          "before). Wider draws finer detail but trains slower on a CPU.", 4, 256),
    Field("d_width", "D width", "int", "Channels of the discriminator's first layer.", 4, 256),
    Field("g_optimizer.name", "G optimizer", "choice", "The generator's optimizer.", choices=OPT),
    Field("g_optimizer.lr", "G learning rate", "log", "The generator's learning rate (DCGAN: 0.0002).", 1e-6, 0.1),
    Field("g_optimizer.momentum", "G β1 / momentum", "float", "Adam's β1 (DCGAN: 0.5), or the momentum of "
          "RMSprop and SGD, for the generator.", 0.0, 0.99, 2, 0.05),
    Field("g_optimizer.beta2", "G Adam β2", "float", "Adam's β2 for the generator (0.999 usually; GANs often "
          "use 0.9 or 0.99).", 0.0, 0.9999, 4, 0.001),
    Field("d_optimizer.name", "D optimizer", "choice", "The discriminator's optimizer (the seed paired an Adam "
          "generator with an RMSprop discriminator: Preset).", choices=OPT),
    Field("d_optimizer.lr", "D learning rate", "log", "The discriminator's learning rate (DCGAN: 0.0002).",
          1e-6, 0.1),
    Field("d_optimizer.momentum", "D β1 / momentum", "float", "Adam's β1, or the momentum of RMSprop and SGD, "
          "for the discriminator.", 0.0, 0.99, 2, 0.05),
    Field("d_optimizer.beta2", "D Adam β2", "float", "Adam's β2 for the discriminator.", 0.0, 0.9999, 4, 0.001),
    Field("batch_size", "Batch size", "int", "Real and generated images per step.", 2, 4096),
    Field("budget.epochs", "Epochs", "int", "Passes over the training set; samples are drawn after each.", 1, 1000),
    Field("label_smoothing", "Label smoothing", "float", "One-sided (BCE loss): real images are labelled 1 − this "
          "for the discriminator, which keeps it from becoming over-confident.", 0.0, 0.5, 2, 0.05),
    Field("dropout", "D dropout", "float", "Dropout in the discriminator.", 0.0, 0.9, 2, 0.05),
    Field("l2", "L2 penalty", "float", "Weight decay for both networks.", 0.0, 0.1, 5, 1e-4),
    Field("judge", "Judge CNN", "choice", "A CNN trained on the same images scores every epoch's samples: the "
          "share it recognises with ≥ 90% confidence, how they spread over the classes (mode collapse) and the "
          "Fréchet classifier distance to real images. Automatic: the CNN you trained on this dataset in this "
          "session, otherwise the default CNN trained once for the purpose (3 epochs, at most a minute) and "
          "cached.",
          choices=(("auto", "Automatic"), ("off", "Off"))),
]

JUDGE_CHOICES = (("auto", "Automatic"), ("off", "Off"))

FLOW_FIELDS = [
    Field("conditional", "Conditional", "bool", "Class-conditional velocity network: it is told which class to "
          "draw, so samples are class-balanced, guidance can sharpen them and the Latent panel can sweep classes."),
    Field("width", "Width", "int", "Channels of the UNet's first stage (doubled in each of the two below; a "
          "multiple of 8). 24 on 2×2 patches is about 0.56 M parameters: clear digits after a few minutes on a "
          "CPU.", 8, 128),
    Field("patch", "Patches", "choice", "How many pixels the network sees as one. 2×2: its first stage works at "
          "half the resolution on blocks of four pixels, so a step of the same width costs half and the same time "
          "trains a wider network for more steps: best for digits. 1×1: every pixel (the first flow runs' network): "
          "better for textured images such as Fashion-MNIST's clothes (with width 16).",
          choices=((2, "2×2 pixels"), (1, "1×1 (every pixel)"))),
    PRECISION,
    Field("time_sampling", "Training times", "choice", "Where on the path from noise to image each training image "
          "is taken. Uniform: anywhere, equally often. Logit-normal: more often in the middle, where the velocity "
          "is hardest to predict (as in Stable Diffusion 3).",
          choices=(("uniform", "Uniform"), ("logit-normal", "Logit-normal"))),
    Field("conditioning", "Conditioning", "choice", "How time and class enter each block of the network. Scale "
          "and shift (FiLM): they can switch channels on and off, and digits come out more recognisable for the same "
          "training time. Shift only: they move the channels (the first flow runs' network).",
          choices=(("scale-shift", "Scale and shift"), ("shift", "Shift only"))),
    Field("optimizer.name", "Optimizer", "choice", "How the velocity network's weights are updated.", choices=OPT),
    Field("optimizer.lr", "Learning rate", "log", "Step size of the optimizer (default 0.002 with Adam).",
          1e-6, 0.1),
    Field("schedule", "LR schedule", "choice", "How the learning rate changes over the run (see the CNN's).",
          choices=SCHEDULE_CHOICES),
    Field("batch_size", "Batch size", "int", "Images per step, each at a random time t between noise and image.",
          1, 4096),
    Field("budget.epochs", "Epochs", "int", "Passes over the training set; samples are drawn after each.", 1, 1000),
    Field("class_dropout", "Class dropout", "float", "Share of the training labels replaced by \"no class\": the "
          "same network then also predicts without a class, which classifier-free guidance needs. 0 = no "
          "guidance possible.", 0.0, 0.9, 2, 0.05),
    Field("ema", "EMA of weights", "float", "Decay of the exponential moving average of the weights every sample "
          "is drawn from (smoother, cleaner images). 0 = off.", 0.0, 0.9999, 4, 0.001),
    Field("sampler", "Sampler", "choice", "How the ODE from noise (t = 0) to image (t = 1) is integrated. Heun: "
          "two network evaluations a step, much more accurate for the same steps. Euler: one.",
          choices=(("heun", "Heun (2nd order)"), ("euler", "Euler"))),
    Field("sampler_steps", "Sampler steps", "int", "Integration steps from noise to image for the epoch samples "
          "and the judge's (the Trajectory view can try others without retraining).", 1, 1000),
    Field("guidance", "Guidance scale", "float", "Classifier-free guidance w: v = v_uncond + w·(v_cond − "
          "v_uncond). 1 = the plain conditional prediction, 0 = unconditional, 2–3 = sharper, more typical "
          "digits at some cost in variety.", 0.0, 20.0, 2, 0.25),
    Field("guidance_start", "Guided from t", "float", "Guidance applies from this time on the path (0 = the "
          "noise). Guided near the noise, samples lose variety; before it the plain conditional prediction "
          "keeps them varied.", 0.0, 0.99, 2, 0.05),
    Field("guidance_end", "Guided until t", "float", "Guidance stops at this time (1 = the image): near the "
          "image it changes little, and unguided steps cost one pass of the network instead of two.", 0.01, 1.0,
          2, 0.05),
    Field("l2", "L2 penalty", "float", "Weight decay of the velocity network.", 0.0, 0.1, 5, 1e-4),
    Field("judge", "Judge CNN", "choice", "A CNN trained on the same images scores the samples of epoch ends, as for "
          "the GAN (the same CNN judges both when they train together, so their curves compare): confident share, "
          "class entropy and Fréchet classifier distance. Drawing and judging take at most a tenth of the training "
          "time: where epochs are short, every few epochs. Automatic: your CNN of this session on this dataset, "
          "otherwise the default CNN trained once for the purpose and cached.", choices=JUDGE_CHOICES),
]

SSGAN_FIELDS = [
    Field("head", "Discriminator head", "choice", "How D says \"fake\". Implicit: Salimans et al. 2016, K class "
          "logits with the fake class implicit, D(real) = Z/(Z+1) where Z = Σ exp(logits). Explicit: Odena 2016, a "
          "K+1-th logit for the fake class.",
          choices=tuple((h, {"implicit": "K logits (implicit)", "explicit": "K+1 logits"}[h]) for h in SSGAN_HEADS)),
    Field("d_width", "D width", "int", "Channels of the discriminator's first layer: the discriminator is the "
          "classifier, so this is the width of the network that recognises the digits.", 4, 256),
    Field("g_width", "G width", "int", "Channels of the generator's last hidden layer (doubled in the one before).",
          4, 256),
    Field("d_optimizer.lr", "D learning rate", "log", "The discriminator's (the classifier's) Adam learning rate "
          "(default 0.001).", 1e-6, 0.1),
    Field("g_optimizer.lr", "G learning rate", "log", "The generator's Adam learning rate (default 0.001).",
          1e-6, 0.1),
    Field("unsupervised_weight", "Unsupervised weight", "float", "Weight of the real/fake loss on every training "
          "image (labels unused) beside the cross-entropy on the labelled ones. 0 = a plain classifier of the "
          "labelled images; the unlabelled images help through this term.", 0.0, 100.0, 2, 0.1),
    Field("consistency", "Consistency weight", "float", "Weight of the consistency loss: an augmented copy of "
          "every unlabelled image should get the classes the image gets, which teaches the classifier from images "
          "without labels that a shifted or slanted digit is the same digit. 0 = off.", 0.0, 100.0, 2, 0.1),
    Field("classifier_ema", "Classifier average", "float", "Decay of the moving average of the discriminator's "
          "weights that classifies (validation, Draw, export): steadier than the discriminator itself, which "
          "chases the generator. 0 = the discriminator itself.", 0.0, 0.9999, 4, 0.001),
    Field("dropout", "D dropout", "float", "Dropout in the discriminator: with few labels it keeps the classifier "
          "from learning them by heart.", 0.0, 0.9, 2, 0.05),
    Field("batch_size", "Batch size", "int", "Labelled, unlabelled and generated images per step, each.", 1, 4096),
    Field("budget.epochs", "Epochs", "int", "Passes over the whole training set (labelled or not); validation "
          "accuracy and samples after each.", 1, 1000),
]


def labels_field(counts: tuple[int, ...]) -> Field:
    """The run's "Labelled images" row: all (0), or one of ``counts`` per class."""
    return Field("data.labels_per_class", "Labelled images", "choice", "Few labels: how many labelled training "
                 "images of each class the CNN and the semi-supervised GAN learn from (the same class-balanced "
                 "subset for both, drawn with a fixed seed). The semi-supervised GAN also learns from every other "
                 "training image, without its label; the CNN sees only the labelled ones. The GAN and the flow "
                 "model always keep every label: they are conditioned on the classes. All: every label.",
                 choices=tuple((n, f"{n} per class" if n else "All") for n in counts))


RUN_FIELDS = [
    Field("seed", "Seed", "int", "Random seed. On the CPU the same seed and settings give the same run.", 0,
          2_000_000_000),
    Field("device", "Device", "choice", "Where to train: Auto picks a CUDA GPU, then Apple's MPS, then the CPU.",
          choices=(("auto", "Auto"), ("cpu", "CPU"), ("cuda", "CUDA GPU"), ("mps", "Apple GPU (MPS)"))),
    Field("budget.max_seconds", "Time limit", "seconds", "Stop each model after this much training time "
          "(pauses excluded); the schedule adapts to it. 0 = no limit.", 0.0, 86_400.0, 0, 10.0),
]
