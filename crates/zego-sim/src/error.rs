//! Errors of the simulator's own API (not of simulated requests).

/// What can go wrong when starting or using the simulator.
///
/// ```
/// let err = zego_sim::SimError::InvalidConfig("no app".into());
/// assert!(err.to_string().contains("no app"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SimError {
    /// Binding the listening socket failed.
    Bind(std::io::Error),
    /// Creating the runtime or the server thread failed.
    Runtime(std::io::Error),
    /// Opening the request log file failed.
    RequestLog(std::io::Error),
    /// The configuration is not usable.
    InvalidConfig(String),
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimError::Bind(e) => write!(f, "cannot bind the simulator's socket: {e}"),
            SimError::Runtime(e) => write!(f, "cannot start the simulator's runtime: {e}"),
            SimError::RequestLog(e) => write!(f, "cannot open the request log file: {e}"),
            SimError::InvalidConfig(m) => write!(f, "invalid simulator configuration: {m}"),
        }
    }
}

impl std::error::Error for SimError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SimError::Bind(e) | SimError::Runtime(e) | SimError::RequestLog(e) => Some(e),
            SimError::InvalidConfig(_) => None,
        }
    }
}
