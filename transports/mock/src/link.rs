//! The TCP test transport behind the link traits of DESIGN §7b: a reader's [`TcpConnector`]
//! ([`Connect`]) and a holder's [`TcpListener`] ([`Listen`]), so the engagement → carrier →
//! transport seam is exercised end to end before the radios use it.

use mdl_transport::{Carrier, Connect, Listen, SessionBinding, TcpCarrier, TransportError};
use tokio::net::ToSocketAddrs;

use crate::tcp::{host_port, TcpTransport};

/// The reader side: connects to the host and port of a [`Carrier::Tcp`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TcpConnector;

impl Connect for TcpConnector {
    type Link = TcpTransport;

    fn supports(&self, carrier: &Carrier) -> bool {
        matches!(carrier, Carrier::Tcp(_))
    }

    async fn connect(
        &mut self,
        carrier: &Carrier,
        _binding: &SessionBinding,
    ) -> Result<TcpTransport, TransportError> {
        // TCP has no Ident to serve or check: the session's encryption binds it.
        match carrier {
            Carrier::Tcp(TcpCarrier { host, port }) => {
                TcpTransport::connect_host_port(host, *port).await
            }
            other => Err(unsupported(other)),
        }
    }
}

/// The holder side: a bound TCP listener that offers its own host and port.
#[derive(Debug)]
pub struct TcpListener {
    listener: tokio::net::TcpListener,
    carrier: TcpCarrier,
}

impl TcpListener {
    /// Binds `addr` (e.g. `127.0.0.1:0` for any free port). The carrier offered is the bound
    /// address, so port 0 is offered as the port the system chose.
    ///
    /// # Errors
    /// [`TransportError::Io`] if binding fails.
    pub async fn bind(addr: impl ToSocketAddrs) -> Result<Self, TransportError> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let (host, port) = host_port(&listener)?;
        Ok(Self {
            listener,
            carrier: TcpCarrier { host, port },
        })
    }

    /// The carrier this listener offers.
    pub fn carrier(&self) -> &TcpCarrier {
        &self.carrier
    }
}

impl Listen for TcpListener {
    type Link = TcpTransport;

    async fn offer(&mut self) -> Result<Vec<Carrier>, TransportError> {
        Ok(vec![Carrier::Tcp(self.carrier.clone())])
    }

    async fn accept(
        &mut self,
        carrier: &Carrier,
        _binding: &SessionBinding,
    ) -> Result<TcpTransport, TransportError> {
        match carrier {
            Carrier::Tcp(c) if *c == self.carrier => TcpTransport::accept(&self.listener).await,
            other => Err(unsupported(other)),
        }
    }
}

fn unsupported(carrier: &Carrier) -> TransportError {
    TransportError::Backend {
        backend: "tcp",
        message: format!("cannot serve a {:?} carrier", carrier.kind()),
    }
}
