//! One operation's whole call as a state machine: admission (rate-limit slot and
//! `Sequence`), signing, sending, parsing and retrying, with every decision made here and
//! only I/O left to the driver.
//!
//! Both transports run exactly this loop, which is why they cannot behave differently:
//!
//! ```text
//! let mut call = core.call(&op);
//! let mut step = call.step(core.now(), rng);
//! loop {
//!     step = match step {
//!         Step::Admit(request) => { let answer = coordinator.admit(&request); call.on_admission(answer, core.now(), rng) }
//!         Step::Sleep(d) => { sleep(d); call.step(core.now(), rng) }
//!         Step::Send(request) => { let answer = send(request); call.on_response(answer, core.now(), rng) }
//!         Step::Feedback(feedback) => { coordinator.feedback(&feedback); call.step(core.now(), rng) }
//!         Step::Done(result) => return result,
//!     }
//! }
//! ```

mod client_core;
mod machine;
mod not_admitted;
mod options;
#[cfg(test)]
mod tests;
mod wait_notice;

pub use client_core::ClientCore;
pub use machine::{AttemptOutcome, Call, Finished, Step};
pub use not_admitted::{NotAdmittedInTime, WaitLimit};
pub use options::{CallOptions, CancelToken};
pub(crate) use wait_notice::WaitObserver;
pub use wait_notice::{WaitNotice, WaitReason};
