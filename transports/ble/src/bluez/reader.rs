//! The reader's side: [`BleReader`] connects to a holder over the BLE carrier its engagement
//! offered ([`Connect`]).

use bluer::l2cap::{SocketAddr, Stream};
use bluer::AddressType;
use mdl_transport::{BleCarrier, BleMode, Carrier, Connect, SessionBinding, TransportError};

use super::adapter::{bluer_adapter, bluer_error, btleplug_adapter};
use super::client::{address_of, scan, GattClient};
use super::l2cap_link::L2capLink;
use super::link::{BleLink, GattIo};
use super::server::GattServer;
use super::uuid::to_bluer_address;
use super::BleConfig;
use crate::connection::GattConnection;
use crate::profile::{uuid_string, Role};
use crate::BleError;

/// The reader's BLE connector: both modes (a reader SHALL support both, 2021 6.3.2.5), L2CAP
/// when the engagement carries a PSM and [`BleConfig::l2cap`] is set.
#[derive(Debug)]
pub struct BleReader {
    config: BleConfig,
}

fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

impl BleReader {
    /// A connector with `config`.
    pub fn new(config: BleConfig) -> Self {
        Self { config }
    }

    /// [`Connect::connect`] with the typed error.
    ///
    /// # Errors
    /// [`BleError::PeerNotFound`] when no holder shows up within the scan time,
    /// [`BleError::AdapterMissing`] / [`BleError::AdapterOff`], link and backend errors.
    pub async fn connect_ble(
        &mut self,
        carrier: &BleCarrier,
        binding: &SessionBinding,
    ) -> Result<BleLink, BleError> {
        let uuid = carrier
            .service_uuid
            .ok_or(BleError::UnsupportedCarrier("no service UUID"))?;
        let config = &self.config;
        match carrier.mode {
            BleMode::PeripheralServer if config.l2cap && carrier.psm.is_some() => {
                self.connect_l2cap(carrier, &uuid).await
            }
            BleMode::PeripheralServer => {
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
                let mut conn = GattConnection::new(Role::Reader, carrier.mode, config.gatt(), None);
                conn.handle_connected(now(), client.att_mtu());
                let mut link = BleLink::gatt(
                    conn,
                    GattIo::Client(client),
                    config.progress.clone(),
                    config.start_timeout,
                );
                link.establish().await?;
                Ok(link)
            }
            BleMode::CentralClient => {
                let (session, adapter) = bluer_adapter(config.adapter.as_deref()).await?;
                let server = GattServer::start(
                    session,
                    adapter,
                    carrier.mode,
                    uuid,
                    Some(binding.ble_ident),
                    None,
                )
                .await?;
                let conn = GattConnection::new(Role::Reader, carrier.mode, config.gatt(), None);
                let mut link = BleLink::gatt(
                    conn,
                    GattIo::Server(server),
                    config.progress.clone(),
                    config.start_timeout,
                );
                // The holder scans, connects, reads Ident and writes State: all within the scan
                // time plus the start deadline, or no holder came.
                let wait = config.scan_timeout + config.start_timeout;
                match tokio::time::timeout(wait, link.establish()).await {
                    Ok(Ok(())) => Ok(link),
                    Ok(Err(e)) => {
                        let _ = mdl_transport::Transport::close(&mut link).await;
                        Err(e)
                    }
                    Err(_) => {
                        let _ = mdl_transport::Transport::close(&mut link).await;
                        Err(BleError::PeerNotFound {
                            uuid: uuid_string(&uuid),
                            seconds: wait.as_secs(),
                        })
                    }
                }
            }
        }
    }

    /// Peripheral server mode over L2CAP: straight to the PSM the engagement gave (as Multipaz
    /// does, no GATT and so no State), at the engagement's address or the one a scan finds.
    async fn connect_l2cap(
        &self,
        carrier: &BleCarrier,
        uuid: &mdl_transport::BleUuid,
    ) -> Result<BleLink, BleError> {
        let config = &self.config;
        let psm = carrier.psm.ok_or(BleError::UnsupportedCarrier("no PSM"))?;
        let (_session, adapter) = bluer_adapter(config.adapter.as_deref()).await?;
        let local = adapter.address().await.map_err(bluer_error)?;
        let local_type = adapter.address_type().await.map_err(bluer_error)?;
        // The address from a scan also tells whether it is random; the engagement's does not
        // (18013-5 key 20 is a bare address): take it as public.
        let (peer, peer_type) = match &carrier.address {
            Some(a) => (to_bluer_address(a), AddressType::LePublic),
            None => {
                let central = btleplug_adapter(config.adapter.as_deref()).await?;
                let p = scan(&central, uuid, config.scan_timeout).await?;
                let (addr, random) = address_of(&p).await;
                let kind = if random {
                    AddressType::LeRandom
                } else {
                    AddressType::LePublic
                };
                (bluer::Address(addr.into_inner()), kind)
            }
        };
        let socket = bluer::l2cap::Socket::<Stream>::new_stream().map_err(|e| l2cap_error(&e))?;
        socket
            .bind(SocketAddr::new(local, local_type, 0))
            .map_err(|e| l2cap_error(&e))?;
        let connect = socket.connect(SocketAddr::new(peer, peer_type, psm));
        let stream = tokio::time::timeout(config.connect_timeout, connect)
            .await
            .map_err(|_| BleError::TimedOut("connecting the L2CAP channel"))?
            .map_err(|e| l2cap_error(&e))?;
        Ok(BleLink::l2cap(
            L2capLink::new(stream, config.max_message_size),
            carrier.mode,
            config.progress.clone(),
        ))
    }
}

fn l2cap_error(e: &std::io::Error) -> BleError {
    BleError::Backend {
        backend: "l2cap",
        message: e.to_string(),
    }
}

impl Connect for BleReader {
    type Link = BleLink;

    fn supports(&self, carrier: &Carrier) -> bool {
        matches!(carrier, Carrier::Ble(b) if b.service_uuid.is_some())
    }

    async fn connect(
        &mut self,
        carrier: &Carrier,
        binding: &SessionBinding,
    ) -> Result<BleLink, TransportError> {
        let Carrier::Ble(ble) = carrier else {
            return Err(BleError::UnsupportedCarrier("not a BLE carrier").into());
        };
        Ok(self.connect_ble(ble, binding).await?)
    }
}
