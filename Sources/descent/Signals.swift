// SIGINT and SIGTERM during `descent run`: they take effect within a second at any point.
//
// While trials train, the first signal asks the trainers to stop at their next step (each checkpoints
// its state first), the finished trials stay written, and the run exits 130 (SIGINT) or 143 (SIGTERM).
// At any other moment (parsing and validating the study, enumerating a large grid, preparing the
// folder, writing the report) nothing is in flight that a stop could save, and every file is written
// whole and renamed into place, so the handler exits at once with the same status; so does a second
// signal while trials train.
import Foundation

/// The phase of the run, as the signal handler sees it.
enum RunPhase {
    /// Nothing in flight: a signal exits at once.
    static let settingUp: sig_atomic_t = 0
    /// Trials train: a signal asks them to stop.
    static let training: sig_atomic_t = 1
    /// Training is over (the report, the next study of a contrast): a signal exits at once.
    static let after: sig_atomic_t = 2
}

nonisolated(unsafe) var runPhase: sig_atomic_t = RunPhase.settingUp

/// The signal that asked the trainers to stop (SIGINT or SIGTERM), 0 until one does. Trainers poll it
/// between steps, so the trial in flight stops and every finished trial stays written.
nonisolated(unsafe) var stopRequested: sig_atomic_t = 0

/// The exit status for a run stopped by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM).
func interruptedStatus(_ signal: Int32) -> Int32 { 128 + (signal == 0 ? SIGINT : signal) }

/// Installs the handlers; call it first thing, before any slow work.
func installSignalHandlers() {
    runPhase = RunPhase.settingUp
    stopRequested = 0
    let handler: @convention(c) (Int32) -> Void = { sig in
        if runPhase == RunPhase.training && stopRequested == 0 {
            stopRequested = sig
            return
        }
        // Only async-signal-safe calls from here: write(2) of static text, then _exit(2).
        let message: StaticString
        if runPhase == RunPhase.training {
            message = "\ndescent: interrupted again: stopping now without checkpointing the trials in flight (they resume from their last checkpoint). Finished trials are kept; run the same command again to finish the rest.\n"
        } else if runPhase == RunPhase.after {
            message = "\ndescent: interrupted after training: finished trials are kept. Run the same command again (or 'descent report <folder>') to write the report.\n"
        } else {
            message = "\ndescent: interrupted before training started: nothing was trained or lost. Run the same command again to start.\n"
        }
        _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
        _exit(128 + sig)
    }
    var action = sigaction()
    action.__sigaction_handler.sa_handler = handler
    sigemptyset(&action.sa_mask)
    action.sa_flags = SA_RESTART
    sigaction(SIGINT, &action, nil)
    sigaction(SIGTERM, &action, nil)
}
