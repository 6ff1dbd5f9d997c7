//! The holder's side: [`BleHolder`] offers BLE carriers for its engagement and accepts the
//! reader on one of them ([`Listen`]).

use std::future::Future;
use std::pin::Pin;

use bluer::l2cap::{SocketAddr, StreamListener};
use mdl_transport::{
    BleAddress, BleCarrier, BleMode, Carrier, Listen, SessionBinding, TransportError,
};

use super::adapter::{bluer_adapter, bluer_error, btleplug_adapter};
use super::client::{scan, GattClient};
use super::l2cap_link::L2capLink;
use super::link::{BleLink, GattIo};
use super::server::GattServer;
use super::uuid::random_service_uuid;
use super::BleConfig;
use crate::connection::GattConnection;
use crate::profile::Role;
use crate::BleError;

/// What an offered carrier has running until a reader comes.
struct Prepared {
    carrier: BleCarrier,
    /// Peripheral server mode: the mdoc service, advertised.
    server: Option<GattServer>,
    /// Peripheral server mode with L2CAP: the listening channel whose PSM the engagement holds.
    l2cap: Option<StreamListener>,
}

/// The holder's BLE listener, in one or both modes.
///
/// Each [`offer`](Listen::offer) draws fresh service UUIDs (and a fresh PSM), starts the GATT
/// server and advertising for peripheral server mode, and forgets what an earlier offer
/// prepared. [`accept`](Listen::accept) waits for the reader on one carrier;
/// [`accept_any`](BleHolder::accept_any) on whichever of the offered ones the reader uses.
pub struct BleHolder {
    config: BleConfig,
    modes: Vec<BleMode>,
    prepared: Vec<Prepared>,
}

impl std::fmt::Debug for BleHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BleHolder")
            .field("config", &self.config)
            .field("modes", &self.modes)
            .field(
                "offered",
                &self.prepared.iter().map(|p| &p.carrier).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl BleHolder {
    /// A listener offering `modes` (peripheral server mode first in the engagement when both:
    /// 18013-5 readers support both, and it needs no scanning on the holder's side).
    pub fn new(config: BleConfig, modes: &[BleMode]) -> Self {
        let mut modes = modes.to_vec();
        modes.dedup();
        Self {
            config,
            modes,
            prepared: Vec::new(),
        }
    }

    /// [`Listen::offer`] with the typed error.
    ///
    /// # Errors
    /// [`BleError::AdapterMissing`], [`BleError::AdapterOff`], or the backend's error.
    pub async fn offer_ble(&mut self) -> Result<Vec<BleCarrier>, BleError> {
        // Session data of an earlier engagement goes: its service stops advertising.
        for mut p in self.prepared.drain(..) {
            if let Some(s) = p.server.as_mut() {
                s.shutdown().await;
            }
        }
        let adapter_name = self.config.adapter.as_deref();
        for mode in self.modes.clone() {
            let uuid = random_service_uuid()?;
            let prepared = match mode {
                BleMode::PeripheralServer => {
                    let (session, adapter) = bluer_adapter(adapter_name).await?;
                    let address = adapter.address().await.map_err(bluer_error)?;
                    let l2cap = if self.config.l2cap {
                        let kind = adapter.address_type().await.map_err(bluer_error)?;
                        let listener = StreamListener::bind(SocketAddr::new(address, kind, 0))
                            .await
                            .map_err(|e| l2cap_error(&e))?;
                        Some(listener)
                    } else {
                        None
                    };
                    let psm = match &l2cap {
                        Some(l) => Some(l.as_ref().local_addr().map_err(|e| l2cap_error(&e))?.psm),
                        None => None,
                    };
                    let server = GattServer::start(session, adapter, mode, uuid, None, psm).await?;
                    Prepared {
                        carrier: BleCarrier {
                            mode,
                            service_uuid: Some(uuid),
                            address: Some(BleAddress(address.0)),
                            psm,
                        },
                        server: Some(server),
                        l2cap,
                    }
                }
                BleMode::CentralClient => {
                    // Fail now, not when the reader is waiting, if the adapter is unusable.
                    btleplug_adapter(adapter_name).await?;
                    Prepared {
                        carrier: BleCarrier {
                            mode,
                            service_uuid: Some(uuid),
                            address: None,
                            psm: None,
                        },
                        server: None,
                        l2cap: None,
                    }
                }
            };
            self.prepared.push(prepared);
        }
        Ok(self.prepared.iter().map(|p| p.carrier.clone()).collect())
    }

    /// Takes the prepared state of the offered carrier `carrier` stands for (same mode; in
    /// central client mode the reader's UUID may replace ours, from a negotiated handover).
    fn take(&mut self, carrier: &BleCarrier) -> Result<Prepared, BleError> {
        let pos = self
            .prepared
            .iter()
            .position(|p| {
                p.carrier.mode == carrier.mode
                    && (carrier.mode == BleMode::CentralClient
                        || p.carrier.service_uuid == carrier.service_uuid)
            })
            .ok_or(BleError::UnsupportedCarrier("not one this holder offered"))?;
        let mut p = self.prepared.remove(pos);
        if carrier.service_uuid.is_some() {
            p.carrier.service_uuid = carrier.service_uuid;
        }
        Ok(p)
    }

    /// [`Listen::accept`] with the typed error.
    ///
    /// # Errors
    /// [`BleError::PeerNotFound`] (central client mode: no reader advertising within the scan
    /// time), [`BleError::IdentMismatch`], [`BleError::StartTimeout`], link and backend errors.
    pub async fn accept_ble(
        &mut self,
        carrier: &BleCarrier,
        binding: &SessionBinding,
    ) -> Result<BleLink, BleError> {
        let prepared = self.take(carrier)?;
        accept_prepared(self.config.clone(), prepared, *binding).await
    }

    /// Waits for the reader on whichever offered carrier it uses (for an engagement offering
    /// both modes): the first link that starts wins, the others are dropped. Fails only when
    /// every carrier failed, with the last error.
    ///
    /// # Errors
    /// As [`accept_ble`](Self::accept_ble); [`BleError::UnsupportedCarrier`] before an offer.
    pub async fn accept_any(&mut self, binding: &SessionBinding) -> Result<BleLink, BleError> {
        if self.prepared.is_empty() {
            return Err(BleError::UnsupportedCarrier("nothing offered"));
        }
        let attempts: Vec<Attempt> = self
            .prepared
            .drain(..)
            .map(|p| Box::pin(accept_prepared(self.config.clone(), p, *binding)) as Attempt)
            .collect();
        futures::future::select_ok(attempts)
            .await
            .map(|(link, _rest)| link)
    }
}

/// One carrier's accept, raced against the others by [`BleHolder::accept_any`].
type Attempt = Pin<Box<dyn Future<Output = Result<BleLink, BleError>> + Send>>;

fn l2cap_error(e: &std::io::Error) -> BleError {
    BleError::Backend {
        backend: "l2cap",
        message: e.to_string(),
    }
}

fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

async fn accept_prepared(
    config: BleConfig,
    prepared: Prepared,
    binding: SessionBinding,
) -> Result<BleLink, BleError> {
    let Prepared {
        carrier,
        server,
        l2cap,
    } = prepared;
    let uuid = carrier
        .service_uuid
        .ok_or(BleError::UnsupportedCarrier("no service UUID"))?;
    let gatt = config.gatt();
    match carrier.mode {
        BleMode::PeripheralServer => {
            let server = server.ok_or(BleError::UnsupportedCarrier("not offered"))?;
            let conn = GattConnection::new(Role::Holder, carrier.mode, gatt, None);
            let mut link = BleLink::gatt(
                conn,
                GattIo::Server(server),
                config.progress.clone(),
                config.start_timeout,
            );
            match l2cap {
                None => {
                    link.establish().await?;
                    Ok(link)
                }
                Some(listener) => {
                    tokio::select! {
                        r = link.establish() => r.map(|()| link),
                        accepted = listener.accept() => {
                            let (stream, _peer) = accepted.map_err(|e| l2cap_error(&e))?;
                            // The reader chose L2CAP: the GATT service and advertising go.
                            drop(link);
                            Ok(BleLink::l2cap(
                                L2capLink::new(stream, config.max_message_size),
                                carrier.mode,
                                config.progress.clone(),
                            ))
                        }
                    }
                }
            }
        }
        BleMode::CentralClient => {
            let adapter = btleplug_adapter(config.adapter.as_deref()).await?;
            let peripheral = scan(&adapter, &uuid, config.scan_timeout).await?;
            let client = GattClient::connect(
                adapter,
                peripheral,
                carrier.mode,
                &uuid,
                config.connect_timeout,
            )
            .await?;
            let mut conn =
                GattConnection::new(Role::Holder, carrier.mode, gatt, Some(binding.ble_ident));
            conn.handle_connected(now(), client.att_mtu());
            let mut link = BleLink::gatt(
                conn,
                GattIo::Client(client),
                config.progress.clone(),
                config.start_timeout,
            );
            match tokio::time::timeout(config.connect_timeout, link.establish()).await {
                Ok(Ok(())) => Ok(link),
                Ok(Err(e)) => {
                    let _ = mdl_transport::Transport::close(&mut link).await;
                    Err(e)
                }
                Err(_) => {
                    let _ = mdl_transport::Transport::close(&mut link).await;
                    Err(BleError::TimedOut("starting the session"))
                }
            }
        }
    }
}

impl Listen for BleHolder {
    type Link = BleLink;

    async fn offer(&mut self) -> Result<Vec<Carrier>, TransportError> {
        Ok(self
            .offer_ble()
            .await?
            .into_iter()
            .map(Carrier::Ble)
            .collect())
    }

    async fn accept(
        &mut self,
        carrier: &Carrier,
        binding: &SessionBinding,
    ) -> Result<BleLink, TransportError> {
        let Carrier::Ble(ble) = carrier else {
            return Err(BleError::UnsupportedCarrier("not a BLE carrier").into());
        };
        Ok(self.accept_ble(ble, binding).await?)
    }
}
