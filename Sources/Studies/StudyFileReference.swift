// The study-file reference, docs/study-file.md, generated so that it cannot drift from what the parser
// accepts: one table per section of the key registry (`Schema.keys`: every key with its type and range,
// default and reason), framed by hand-written prose (the example, sweep, profiles, events, expectations,
// contrast studies) that is included verbatim.
//
// StudyFileReferenceTests fails when docs/study-file.md differs from `markdown()`, and rewrites the file
// when run with DESCENT_REGENERATE_DOCS=1 (`regenerateCommand`).
import Foundation
import Training

public enum StudyFileReference {
    /// The command that rewrites docs/study-file.md from the code (run from the package root).
    public static let regenerateCommand = "DESCENT_REGENERATE_DOCS=1 swift test --filter StudyFileReferenceTests"

    /// The whole of docs/study-file.md.
    public static func markdown() -> String {
        let groups = sections(Schema.keys)
        var md = header
        md += "## Contents\n\n"
        md += "- [A study file](#a-study-file)\n"
        md += "- [Keys](#keys): " + groups.map { "[\(title($0.name))](#\(slug(title($0.name))))" }.joined(separator: ", ") + "\n"
        md += "- [Which keys apply to a trial](#which-keys-apply-to-a-trial)\n"
        md += "- [Notes on tasks, models and training](#notes-on-tasks-models-and-training)\n"
        md += "- [Sweep](#sweep)\n"
        md += "- [Seeds and profiles](#seeds-and-profiles)\n"
        md += "- [Events](#events)\n"
        md += "- [Expectations](#expectations)\n"
        md += "- [Contrast studies](#contrast-studies)\n\n"
        md += overview
        md += "## Keys\n\n"
        md += keysIntro
        for g in groups {
            md += "### \(title(g.name))\n\n"
            if let intro = sectionIntros[g.name] { md += intro + "\n\n" }
            md += "| key | type and range | default | what it does | in the trial id |\n"
            md += "|---|---|---|---|---|\n"
            for k in g.keys { md += row(k) + "\n" }
            md += "\n"
        }
        md += applicability
        md += notes
        md += sweep
        md += profiles
        md += events
        md += "Metrics an event or an `at_event` expectation may name: "
            + Metric.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", ") + ".\n\n"
        md += expectations
        md += "Every key an item of `expect` may have: "
            + (Parser.expectationKeys + SizeExpectation.keys).map { "`\($0)`" }.joined(separator: ", ") + ".\n\n"
        md += contrast
        return md
    }

    // MARK: - Generated parts

    /// The keys grouped by their first path component (the top-level keys under ""), sections in the order
    /// in which the registry first names them, keys in registry order.
    static func sections(_ keys: [KeySpec]) -> [(name: String, keys: [KeySpec])] {
        var order: [String] = []
        var groups: [String: [KeySpec]] = [:]
        for k in keys {
            let parts = k.path.split(separator: ".", maxSplits: 1)
            let name = parts.count > 1 ? String(parts[0]) : ""
            if groups[name] == nil { order.append(name) }
            groups[name, default: []].append(k)
        }
        return order.map { ($0, groups[$0]!) }
    }

    static func title(_ section: String) -> String { section.isEmpty ? "Top-level keys" : "\(section)" }

    /// GitHub's heading anchor: lower case, punctuation other than '-' dropped, spaces as '-'.
    static func slug(_ heading: String) -> String {
        String(heading.lowercased().compactMap { c -> Character? in
            if c == " " { return "-" }
            return c.isLetter || c.isNumber || c == "-" || c == "_" ? c : nil
        })
    }

    static func row(_ k: KeySpec) -> String {
        "| `\(k.path)` | \(cell(k.type.name)) | \(defaultText(k.defaultValue)) | \(cell(k.doc)) | \(k.trialKey ? "yes" : "no") |"
    }

    static func defaultText(_ v: Value) -> String {
        if case .string(let s) = v, s.isEmpty { return "*empty*" }
        return "`\(v.description)`"
    }

    /// Text safe inside a Markdown table cell: no pipe ends the cell, no asterisk starts emphasis.
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "*", with: "\\*")
    }

    // MARK: - Hand-written prose (included verbatim)

    static let header = #"""
        <!-- Generated from the key registry by StudyFileReference.markdown() (Sources/Studies/StudyFileReference.swift). Do not edit by hand. -->
        # Study files

        A study file is a YAML file that answers one question: the task, the model, how it is trained,
        what to sweep over how many seeds, which events to record and which expectations must hold. This
        page is the reference of that file. Its tables are generated from the key registry the parser
        itself uses (`Schema.keys`), so they list every key it accepts, with its type, range and default;
        the prose around them is kept beside the generator, in `Sources/Studies/StudyFileReference.swift`.

        **Do not edit this file by hand.** After changing a key or the prose, regenerate it from the package
        root with

        ```sh
        DESCENT_REGENERATE_DOCS=1 swift test --filter StudyFileReferenceTests
        ```

        `StudyFileReferenceTests` fails, naming that command, whenever this file differs from what the code
        generates.


        """#

    static let overview = #"""
        ## A study file

        ```yaml
        name: grokking-vs-fraction           # names the results folder (default: the file name)
        question: How many steps ...?        # the one question the study answers
        axis: steps                          # steps: curves over training time
        task:      { operation: x+y, modulus: 97, train_fraction: 0.5 }
        model:     { family: mlp, input: embedding, embedding: 128, width: 512, depth: 1, activation: relu }
        optimizer: { name: adamw, lr: 1e-3, weight_decay: 1.0, betas: [0.9, 0.98], warmup_steps: 0 }
        training:  { batch: full, max_steps: 30000, stop_after: generalization, patience: 200,
                     loss: cross_entropy, precision: float32, eval: { schedule: log, points: 200 } }
        sweep:     { task.train_fraction: [0.3, 0.4, 0.5, 0.6, 0.7, 0.8] }   # crossed with the seeds
        seeds: 3
        seed: 0                              # every trial's randomness derives from this and the trial's config
        events:
          memorization:   { metric: train_accuracy, at_least: 0.99 }
          generalization: { metric: val_accuracy,   at_least: 0.99 }
        expect:
          - { event: generalization, reached_in_fraction_of_trials: 0.8, where: { task.train_fraction: ">= 0.5" } }
          - { order: [memorization, generalization] }
          - { at_event: { event: memorization, metric: val_accuracy, at_most: 0.5 } }
          - { trend: { x: task.train_fraction, y: generalization_step }, direction: decreasing, confidence: 0.95 }
        profiles:
          ci: { task.modulus: 47, training.max_steps: 12000, sweep.task.train_fraction: [0.4, 0.6, 0.8], seeds: 2 }
        ```

        Every key has a default; unknown keys, wrong types and out-of-range values are errors that name the
        file, line and column, with a hint (the closest known key, or the keys allowed there). `descent run`
        validates the whole study, every profile and every trial's data set before it writes anything;
        a malformed study exits with status 64.

        - Keys may be nested as YAML mappings (`training: { eval: { points: 200 } }`) or written dotted
          (`training.eval.points: 200`); both mean the same key.
        - Numbers are written unquoted; integers may use `_` (`30_000`) or an exponent that gives a whole
          number (`1e4`). A quoted number is a string, and an error where a number is expected.
        - `true`/`false` (also `yes`/`no`, `on`/`off`), unquoted, for the true-or-false keys.
        - Besides the keys of the tables below, a study has four structural keys: `sweep`, `profiles`,
          `events` and `expect`, described after the tables. A contrast study (`axis: contrast`) is a
          different file; see [Contrast studies](#contrast-studies).


        """#

    static let keysIntro = #"""
        One table per section; a key is written `section.key` in `sweep`, `where` and profiles. "In the
        trial id" says whether the key changes what a trial computes: such keys (when they apply to the
        trial, see [below](#which-keys-apply-to-a-trial)) are part of the trial's configuration, whose hash
        is the trial's id. The other keys describe the study or how it runs.


        """#

    static let sectionIntros: [String: String] = [
        "": "The study itself: what it is called, what it asks, which axis it measures, and how many times each configuration is repeated.",
        "task": "What is learned: the table of a binary operation (`task.kind: algorithmic`, Power et al. 2022), or a tabular or synthetic data set for the size axis and the epoch-wise linear study.",
        "model": "The model family and its shape. MLP keys, transformer keys (`transformer:`) and the closed-form families' keys (`random_features`, `linear`) each apply to their own family.",
        "optimizer": "The optimizer of the trained families (mlp, transformer, and linear with `solver.method: gradient_descent`).",
        "training": "The training loop: batch, budget, loss, precision, evaluation schedule, stopping, checkpoints.",
        "regularization": "One regularizer at a common strength, to compare weight decay, dropout and gradient noise at matched strength.",
        "solver": "How the closed-form families (`random_features`, `linear`) are fitted.",
        "probes": "Measurements that cost more than `training.probes`, taken at its snapshots (initialization, each event's first evaluation, the end) into probes.json; off by default, and then in no trial's id.",
    ]

    static let applicability = #"""
        ## Which keys apply to a trial

        A key applies to a trial only when it configures the trial's task kind and model family; setting
        one that does not is an error at its place, whose hint lists the keys that do. A key that does not
        apply is left out of the trial's configuration (so adding keys for one family changed no id of a
        trial of another).

        - `task.kind: algorithmic` uses `task.operation`, `task.modulus`, `task.train_fraction` and, for the
          MLP, `model.input` and `model.embedding`; none of the other `task.*` keys, nor `model.features`,
          `model.feature_map`, `model.bandwidth`, `solver.*` or `training.converge_tolerance`.
        - The other task kinds (`digits`, `mnist1d`, `gaussian_linear`, `teacher`) use `task.n_train` and
          `task.n_test` (except gradient descent, below), and the keys whose description names their
          kind: `task.label_noise` and `task.standardize` for the classification kinds (digits, mnist1d,
          teacher), `task.data` for the tabular ones (digits, mnist1d), `task.dimension`, `task.signal`
          and `task.noise_variance` for gaussian_linear, `task.input_dimension`, `task.teacher_width` and
          `task.classes` for teacher.
        - `model.family: transformer` uses the `transformer:` keys and not `model.input`, `model.embedding`,
          `model.width`, `model.depth` or `model.dropout`; the MLP does not use the `transformer:` keys.
          `regularization.kind: dropout` needs the MLP.
        - The closed-form families (`random_features`, `linear`) use `model.features` and `solver.*`
          (`model.feature_map` and `model.bandwidth` for random features only), and no key of the trained
          MLP (`model.width`, `model.depth`, `model.activation`, `model.init_scale`, `model.dropout`,
          `training.gradient_noise`, `regularization.*`, `optimizer.*`, `training.converge_tolerance`).
        - `model.family: linear` with `solver.method: gradient_descent` is trained over steps: it uses
          `optimizer.*` (which must be `{ name: sgd, momentum: 0, weight_decay: 0 }`, `warmup_steps: 0`,
          with `training.batch: full`: the exact expected risk is that of plain full-batch gradient descent)
          and `task.slow_features`, `task.slow_scale`, `task.slow_signal` (which no other trial uses), and
          not `solver.lambda`, `solver.rcond`, `solver.precision`, `task.n_test`, `task.dimension`,
          `training.loss`, `training.precision` or `training.probes`.
        - Combinations that make no sense are errors: the closed-form families on an algorithmic task,
          an MLP or random features on `gaussian_linear` (a regression), `linear` on a classification task,
          a closed-form solve on the steps axis (it has no curve over steps) or gradient descent on the size
          axis, `solver.method: gradient_descent` for a family other than `linear`,
          `solver.method: ridge` without `solver.lambda` > 0, `solver.rcond` with ridge, and a
          transformer whose `model.d_model` is not divisible by `model.heads` when `model.d_head` is 0.

        A trial's configuration holds every trial key that applies to it, the events' rules and the seed
        index (`training.probes` only when true); its id is the hash of that configuration, so re-runs,
        shards and Slurm array tasks agree on which trial is which.


        """#

    static let notes = #"""
        ## Notes on tasks, models and training

        - Operations (`task.operation`): `x+y`, `x-y`, `x*y`, `x/y` (prime modulus, y ≠ 0), `x^2+y^2`,
          `x^2+xy+y^2`, `x^2+xy+y^2+x`, `x^3+xy`, `x^3+xy^2+y`, `x/y if y odd else x-y`, and on the
          permutation group S_n (`task.modulus` = n, 5 in the paper): `x.y`, `x.y.x^-1`, `x.y.x`.
          `descent list` prints them with the model families and the shipped studies.
        - Model: `family: mlp` with `input: embedding` (learned, concatenated) or `onehot`, `width`,
          `depth`; or `family: transformer` (decoder-only, loss on the answer token) with `layers`,
          `d_model`, `heads`, `d_head`, `d_mlp`, `layer_norm` (pre, post, none), `positions` (learned,
          sinusoidal) and `op_token` (the sequence `x op y =` of Power et al., or `x y =` of Nanda et al.).
          Keys of one family are errors in a study of the other. `activation` relu, gelu, quadratic (x²,
          Gromov 2023), tanh or identity; `init_scale` multiplies the default initialization; `dropout`
          (MLP) drops each hidden activation with probability q in a training step (inverted, as
          `torch.nn.Dropout`).
        - Size-axis studies (`axis: size`) sweep the model size: `model.width` for an MLP, `model.features`
          for the closed-form families `random_features` and `linear` (on `task.kind` digits, mnist1d,
          teacher or gaussian_linear), which are solved by `solver.method` min_norm or ridge through LAPACK.
          Each size is trained or solved to convergence; an MLP counts as converged when its stop event
          was reached, or when `training.converge_tolerance` > 0 and its training loss reached a plateau
          (with `training.stop_after: never`, when it finished its budget); a closed-form solve always
          converges. With `size_by: samples` the size is `task.n_train` instead (the sample-wise axis, at a
          fixed model): the study must sweep it, on a task that draws its examples (digits, mnist1d, teacher,
          gaussian_linear), and every n of one seed draws from one stream, so its smaller training sets are
          the first examples of its larger ones.
        - `task.kind: teacher` draws Gaussian inputs of `task.input_dimension` d labelled by the arg-max of
          a fixed random two-layer ReLU teacher (`task.teacher_width` hidden units, `task.classes` K; one
          teacher per study seed, fresh samples per seed; hidden units centred so that the classes come out
          about balanced), for the random-features and MLP families. With `task.label_noise` > 0 every
          classification trial records its test error against the clean test labels (the curve) and
          against test labels corrupted by the same noise process (drawn once per seed).
        - Epoch-wise double descent where its mechanism is known (Heckel and Yilmaz 2020; Pezeshki et al.
          2021): `model.family: linear` with `solver.method: gradient_descent` trains least squares by
          full-batch gradient descent from zero (`optimizer: { name: sgd, momentum: 0, weight_decay: 0 }`,
          `training.batch: full`) on `gaussian_linear` data whose last `task.slow_features` features have
          standard deviation `task.slow_scale` and carry the share `task.slow_signal` of the signal. The
          fast features are fitted first, signal and then noise (the test risk falls, then rises); the
          slow, informative ones much later (it falls again). Every evaluation records the measured excess
          risk of the iterate (`val_loss`) and the exact expected risk of that step over the noise for the
          trial's design (`expected_risk`).
        - Regularizers at matched strength: `regularization: { kind, strength }` sets one of weight decay
          (λ = s), dropout (q/(1 − q) = s, the L2 coefficient dropout amounts to, Wager et al. 2013) or
          gradient noise (`training.gradient_noise` = s: Gaussian noise of s times the gradient's RMS,
          Neelakantan et al. 2015), and turns the other two off; sweep both keys to compare them
          (`studies/grokking-regularization.yaml`).
        - `training.precision: float64` trains in double precision for comparison; every curve records the
          share of training rows in softmax collapse (`softmax_collapse`: rows whose denominator
          Σ_c exp(z_c − z_max) rounds to 1 in the loss's precision, so the correct class gets probability
          exactly 1, the loss 0 and no gradient; Prieto et al. 2025), the summary its maximum
          (`max_softmax_collapse`), and each summary lists loss spikes.
        - `training.probes: true` logs the operand embeddings' Fourier concentration at every evaluation and
          writes `probes.json` (spectrum, 2-D principal components, an exact t-SNE map and the sharpness at
          initialization, at each event and at the end); the report draws them. For `x*y` and `x/y` the
          spectrum is taken over the discrete logarithm (operands in the order g⁰, g¹, … for a primitive
          root g), where multiplication is addition and the learned structure shows; for the additive
          operations over x mod p. The snapshots ride with a trial's checkpoint, so a killed and resumed
          trial writes the same `probes.json`. Each snapshot also holds the training loss's Hessian top
          eigenvalue (power iteration on central differences of gradients over the whole training set).
          `probes.llc: true` adds the local learning coefficient by SGLD (Lau et al. 2023), with its
          standard error over the chains and the chains that diverged.
        - Optimizers: `adamw` (decoupled weight decay), `adam` (L2 in the gradient), `sgd` (momentum).
        - Training stops at `training.max_steps`, or `training.patience` steps after the
          `training.stop_after` event (or never). A non-finite loss ends the trial with status `diverged`,
          recorded in its summary.
        - `training.checkpoint_every` saves a resumable checkpoint; a resumed trial reaches the same curve,
          bytes included.
        - `status: not_reproduced` marks a study whose gate is known to fail here; its run is measured and
          reported, and still exits 1 when an expectation fails (the test suite reports it instead of
          asserting it).


        """#

    static let sweep = #"""
        ## Sweep

        ```yaml
        sweep: { task.train_fraction: [0.3, 0.5, 0.7], optimizer.weight_decay: [0.3, 1, 3] }
        ```

        Each entry is a dotted key of the tables and a non-empty list of distinct values of its type. Only
        keys that are part of the trial id can be swept, and not `seed` (use `seeds` for repetitions). The
        trials are the grid of every combination, in row-major order of the entries as written (the last
        varies fastest), each point repeated for every seed index. A point of the grid is a
        *configuration*; its seeds are what intervals are taken over.

        On the size axis the size key is swept (`model.width` for an MLP, `model.features` for the
        closed-form families); the other swept keys make the configurations the size report compares
        (e.g. `task.label_noise: [0, 0.2]`).

        ## Arms

        ```yaml
        baseline: weight_decay
        arms:
          weight_decay: { optimizer.weight_decay: 1.0 }
          none:         { optimizer.weight_decay: 0 }
          grokfast_ema: { optimizer.weight_decay: 0, grokfast.filter: ema, vs: none, published: "x43.8 (README)" }
        ```

        An arm is a named set of trial-key overrides: one intervention. The arms are crossed with the sweep
        and the seeds (the arm varies slowest); each trial's configuration holds `arm: name` (so it is part
        of the id, and `where: { arm: name }` selects an arm's trials in `expect`). An arm is compared, in
        the report's interventions table, with the arm its `vs` names, or with the study's `baseline`
        (default: the first arm); `published` is the figure from the literature set beside it. An arm may
        not set the seed, `task.kind` or `model.family`, nor a key the sweep varies; two arms may not train
        the same model, and every arm must be a valid study on its own. A profile's `arms: [names]` keeps
        some arms (with the baseline and each kept arm's `vs`). With arms, the sweep's laws, trends and
        log-rank tests in the report use the baseline arm's trials only; the interventions table compares
        the arms at each sweep point. `studies/grokking-interventions.yaml` is an example.


        """#

    static let profiles = #"""
        ## Seeds and profiles

        `seeds: N` repeats every configuration N times; seed index i gets its own data split (or sample),
        initialization and batches, all derived from `seed` and the trial's configuration.

        ```yaml
        profiles:
          ci: { task.modulus: 47, training.max_steps: 12000, sweep.task.train_fraction: [0.4, 0.6, 0.8], seeds: 2 }
        ```

        A profile is a named set of overrides, applied after the file when the study is run with
        `--profile NAME`; its results go to `results/<study>-<profile>`. A profile may set any key of the
        tables by its dotted path (or a whole section as a mapping), `seeds`, and `sweep.<key>: [...]`,
        which replaces that sweep axis or adds one. Setting a swept key to a single value removes that
        axis. A profile cannot change `name`, `question`, `description`, `axis`, `status`, `sweep`,
        `profiles`, `events` or `expect`. Every profile is validated whenever the study is loaded, used or
        not, so a typo never waits for the day it is used.

        Every shipped study has a `ci` profile: a small version that the test suite runs through the
        binary, asserting its expectations.


        """#

    static let events = #"""
        ## Events

        ```yaml
        events:
          memorization:   { metric: train_accuracy, at_least: 0.99 }
          generalization: { metric: val_accuracy,   at_least: 0.99 }
        ```

        An event holds at an evaluation when its metric is at least `at_least` and/or at most `at_most`.
        Its step in a trial is the first evaluation step at which it held: it happened in the bracket
        (previous evaluation, step], which the trial's summary keeps. A trial that never reached it is
        right-censored at its last step: it counts in "k of n reached" and as "not yet" in the
        Kaplan-Meier curve, never as a step in a mean, median or fit
        (see [statistics](statistics.md)).

        Without `events:` a study has these two events, memorization and generalization. `events: {}`
        defines none (a regression over steps, whose gate is the shape of its curve). Event names are words
        of letters, digits and `_`, other than `never`. `training.stop_after` names one of them, or `never`.
        The events' rules are part of every trial's configuration.

        `after: <event>` makes an event wait for another: it happens at the first evaluation, at or after the
        first one where the other event's rule held, where its own rule holds. So "the noise is forgotten"
        is `{ metric: train_accuracy_corrupted, at_most: 0.5, after: noise_memorized }`. The other event
        must be of the same block and have no `after` of its own.

        With `task.label_noise` above 0 on an operation table, exactly round(q·n) of the n training pairs
        get a wrong result (uniform over the other classes, fixed per seed; the validation pairs stay clean),
        and every evaluation records three more columns: `train_accuracy_corrupted` (the corrupted pairs
        predicted as their wrong label: memorized noise), `train_accuracy_corrupted_true` (the same pairs
        predicted as their true result) and `train_accuracy_clean` (the other training pairs). Events may
        name them only in such a study; the report draws them per configuration
        (`studies/grokking-label-noise.yaml`).


        """#

    static let expectations = #"""
        ## Expectations

        `expect:` is a list; every item must hold for the run to pass (exit status 0). Each is evaluated on
        the trials its optional `where:` selects, and a failing one is named, with what was counted, in the
        terminal, report.md and junit.xml.

        `where: { key: comparison, ... }` keeps the trials whose configuration satisfies every comparison:
        `">= 0.5"`, `"<= 0.5"`, `"> 0.5"`, `"< 0.5"`, `"== 97"`, `"!= 97"` or a bare value (equality).
        Any key of the tables may be named; quote comparisons that start with `>` or `<`.

        ### Curves over steps

        | item | holds when |
        |---|---|
        | `{ event: E, reached_in_fraction_of_trials: f }` | E was reached in at least the fraction f of the matching trials (a trial without a result yet counts as not reached) |
        | `{ order: [A, B], in_fraction_of_trials: f }` | among the matching trials that reached B, A was reached strictly before B in at least the fraction f (default 1) |
        | `{ at_event: { event: E, metric: M, at_least: a, at_most: b }, in_fraction_of_trials: f }` | the metric M at the evaluation where E first held is within the bounds (either or both), in at least the fraction f (default 1) of the trials that reached E |
        | `{ trend: { x: K, y: E_step }, direction: increasing, confidence: c }` | Spearman's ρ of the swept key K against the step of E (or against a metric's final value, `y: M`) has the given sign, with a one-sided permutation p-value ≤ 1 − c (default c = 0.95); trials that never reached E are ranked last, never averaged in at the budget |
        | `{ fall_rise_fall: { min_prominence: p } }` | the seed-mean test error over steps (1 − validation accuracy; for the linear model trained by gradient descent, the measured excess risk) falls, rises and falls again with prominence at least p (default 0.01), in at least one configuration |
        | `{ converged_fraction: f }` | at least the fraction f of the matching trials converged |

        `x` of a trend must be a swept key; `direction` is `increasing` or `decreasing`. The permutation
        test and the fall-rise-fall prominence are defined in [statistics](statistics.md).

        ### The size axis

        Evaluated (by the size report) on the seed-mean test-error curve over the size key of every
        configuration `where:` selects (a configuration: the swept keys other than the size key); each
        selected configuration must satisfy it. All but `fall_rise_fall` and `converged_fraction` need
        `axis: size`.

        | item | holds when |
        |---|---|
        | `{ peak_within: [a, b] }` | the test-error peak is interior and its size lies in [a, b] × `task.n_train` |
        | `{ peak_over_far_right: k }` | peak height ≥ k × the test error of the largest model |
        | `{ peak_higher: { where: { task.label_noise: 0.2 }, than: { task.label_noise: 0 } } }` | the peak of the configuration `where` names is higher than the peak of the one `than` names (exactly one configuration each) |
        | `{ peak_near_threshold: { epsilon: 0, grid_steps: 1 } }` | the peak lies within `grid_steps` (default 1) steps of the sweep grid of the interpolation threshold, the smallest size with mean training error ≤ `epsilon` (default 0) |
        | `{ peak_prominent: true }` | the peak is interior, and peak − classical minimum and peak − largest model both exceed the seed spread (sample SD, the larger at the two sizes compared) |
        | `{ matches_theory: { z: 3, min_distance: 5 } }` | `model.family: linear`, `solver.method: min_norm`: at every p with \|p − n\| ≥ `min_distance` (default 5, at least 2) the seed mean is within `z` (default 3) standard errors of the exact risk |
        | `{ converged_fraction: f }` | at least the fraction f of the trials converged (a closed-form solve always does) |
        | `{ more_data_hurts: { min_rise: 0.02, grid_steps: 1 } }` | `size_by: samples` only: the largest rise of the seed-mean test error with more training examples is at least `min_rise` (default 0.02), exceeds the seeds' SD at both of its ends, and its 95 % bootstrap interval lies above 0; with `grid_steps`, its top lies within that many grid steps of the interpolation limit (the last n fitted exactly by a squared-loss fit, else the last n whose training labels are all predicted). `more_data_hurts: true` takes the defaults |
        | `{ more_data_hurts: false }` or `{ more_data_hurts: { holds: false, min_rise: r } }` | the opposite: the whole 95 % interval of the largest rise lies below `min_rise` (the curve is monotone up to that) |

        The model-wise items (all above but `converged_fraction`) are errors in a `size_by: samples` study.
        The peak, classical minimum, thresholds and their bootstrap intervals are defined in
        [statistics](statistics.md#double-descent-measures).


        """#

    static let contrast = #"""
        ## Contrast studies

        A contrast study (`axis: contrast`) names one size-axis study and one steps-axis study, and
        optionally an epoch-wise steps study as the bridge and a study that sweeps the amount of data; its
        profiles map to each study's profile (default: the same name):

        ```yaml
        name: contrast-double-descent-vs-grokking
        axis: contrast
        size: studies/double-descent-mlp-mnist1d.yaml        # paths from the working directory or the file's folder
        steps: studies/grokking-modular-addition.yaml
        bridge: studies/epochwise-double-descent-linear.yaml # optional: the epoch-wise study
        more_data: studies/grokking-vs-fraction.yaml         # optional: a study sweeping task.train_fraction or task.n_train
        expect:
          - { overfitting: both }   # size: threshold found, interior peak; steps: memorization in more than half the trials
          - { recovery: both }      # size: peak / largest model > 1, its interval's lower end too; steps: generalization in more than half
        profiles:
          ci: { size: ci, steps: ci, bridge: ci, more_data: ci }
        ```

        Its keys are `name`, `question`, `description`, `axis`, `status` (`not_reproduced` marks a contrast
        whose gate is known to fail here; its run still exits 1), `size` (a study with `axis: size`), `steps`
        (`axis: steps`), `bridge` (`axis: steps`), `more_data` (either axis, sweeping `task.train_fraction`
        or `task.n_train`), `profiles` and `expect`; nothing else. Relative paths are tried from the working
        directory, then from the contrast file's folder and its parent. A profile maps `size`, `steps`,
        `bridge` and `more_data` to a profile of that study; a study it does not map gets the profile of the
        same name. An expectation is one key, `overfitting` or `recovery`, with the side it checks: `size`,
        `steps` or `both`.

        `descent run` on a contrast study trains each named study in its own folder
        (`results/<study>[-<profile>]`, reused by later runs), writes each one's report, then the contrast
        into `results/<contrast>[-<profile>]/report`. The gate is the contrast's expectations plus those of
        the size and steps studies; the bridge's and the data study's only inform. When the size and steps
        studies sweep keys (such as `task.label_noise` or `optimizer.weight_decay`), the contrast matches
        their configurations (the same values of every key either sweeps), compares the one that generalized
        most often on the steps axis, and tabulates every matched configuration on both axes; it names, as a
        warning, every key of the task, model, optimizer or budget on which the two sides differ
        (`studies/contrast-one-task.yaml` has none: one table, one family, one optimizer). `descent stats` and
        `descent slurm` take the size or steps study it names, not the contrast itself. What the contrast
        report holds is described in [results](results.md#contrast-report).

        """#
}
