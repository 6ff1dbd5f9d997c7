//! The GATT client side on btleplug: scan filtered on the service UUID, connect, discover,
//! subscribe to State and Server2Client, read Ident or the L2CAP PSM, write without response.
//! BlueZ negotiates the largest ATT MTU itself on connection (bluetoothd offers 517); the
//! client reads the result back from the characteristics' `MTU` property.

use std::pin::Pin;
use std::time::Duration;

use btleplug::api::{
    BDAddr, Central, CentralEvent, Characteristic, Peripheral as _, ScanFilter, ValueNotification,
    WriteType,
};
use btleplug::platform::{Adapter, Peripheral, PeripheralId};
use futures::{Stream, StreamExt};
use mdl_transport::{BleMode, BleUuid};
use uuid::Uuid;

use super::adapter::btleplug_error;
use super::uuid::to_uuid;
use crate::profile::{uuid_string, CharacteristicKind, ModeProfile};
use crate::BleError;

/// What the radio reported to the client.
#[derive(Debug)]
pub(crate) enum ClientEvent {
    /// A State notification.
    State(Vec<u8>),
    /// A Server2Client notification.
    Chunk(Vec<u8>),
    /// The link dropped.
    Disconnected,
}

type Events = Pin<Box<dyn Stream<Item = CentralEvent> + Send>>;
type Notifications = Pin<Box<dyn Stream<Item = ValueNotification> + Send>>;

/// A connected, subscribed GATT client.
pub(crate) struct GattClient {
    peripheral: Peripheral,
    id: PeripheralId,
    events: Events,
    notifications: Notifications,
    state: Characteristic,
    client2server: Characteristic,
    ident: Option<Characteristic>,
    psm: Option<Characteristic>,
    state_uuid: Uuid,
    server2client_uuid: Uuid,
    _adapter: Adapter,
}

impl std::fmt::Debug for GattClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GattClient")
            .field("peer", &self.peripheral.address())
            .finish_non_exhaustive()
    }
}

/// Scans until a peripheral advertising `service` shows up.
pub(crate) async fn scan(
    adapter: &Adapter,
    service: &BleUuid,
    timeout: Duration,
) -> Result<Peripheral, BleError> {
    let uuid = to_uuid(service);
    let mut events = adapter.events().await.map_err(btleplug_error)?;
    adapter
        .start_scan(ScanFilter {
            services: vec![uuid],
        })
        .await
        .map_err(btleplug_error)?;
    let found = tokio::time::timeout(timeout, async {
        // A peripheral seen before the scan started is already known.
        for p in adapter.peripherals().await.map_err(btleplug_error)? {
            if advertises(&p, &uuid).await {
                return Ok(p);
            }
        }
        while let Some(event) = events.next().await {
            let id = match event {
                CentralEvent::DeviceDiscovered(id)
                | CentralEvent::DeviceUpdated(id)
                | CentralEvent::ServicesAdvertisement { id, .. } => id,
                _ => continue,
            };
            if let Ok(p) = adapter.peripheral(&id).await {
                if advertises(&p, &uuid).await {
                    return Ok(p);
                }
            }
        }
        Err(BleError::Backend {
            backend: "btleplug",
            message: "adapter event stream ended".into(),
        })
    })
    .await;
    let _ = adapter.stop_scan().await;
    found.unwrap_or_else(|_| {
        Err(BleError::PeerNotFound {
            uuid: uuid_string(service),
            seconds: timeout.as_secs(),
        })
    })
}

async fn advertises(p: &Peripheral, uuid: &Uuid) -> bool {
    matches!(p.properties().await, Ok(Some(props)) if props.services.contains(uuid))
}

/// The address of a scanned peripheral and whether it is random (for an L2CAP connection).
pub(crate) async fn address_of(p: &Peripheral) -> (BDAddr, bool) {
    let random = matches!(
        p.properties().await,
        Ok(Some(props)) if props.address_type == Some(btleplug::api::AddressType::Random)
    );
    (p.address(), random)
}

impl GattClient {
    /// Connects to `peripheral`, discovers `mode`'s service under `service` and subscribes.
    pub(crate) async fn connect(
        adapter: Adapter,
        peripheral: Peripheral,
        mode: BleMode,
        service: &BleUuid,
        timeout: Duration,
    ) -> Result<Self, BleError> {
        let events = adapter.events().await.map_err(btleplug_error)?;
        let connected = tokio::time::timeout(timeout, async {
            peripheral.connect().await.map_err(btleplug_error)?;
            peripheral.discover_services().await.map_err(btleplug_error)
        })
        .await;
        match connected {
            Ok(r) => r?,
            Err(_) => {
                let _ = peripheral.disconnect().await;
                return Err(BleError::TimedOut("connecting and discovering services"));
            }
        }
        let service_uuid = to_uuid(service);
        let profile = ModeProfile::of(mode);
        let find = |kind: CharacteristicKind| {
            let uuid = profile.uuid(kind).map(|u| to_uuid(&u));
            peripheral
                .characteristics()
                .into_iter()
                .find(|c| Some(c.uuid) == uuid && c.service_uuid == service_uuid)
        };
        let missing = |name| BleError::MissingCharacteristic(name);
        let state = find(CharacteristicKind::State).ok_or(missing("State"));
        let c2s = find(CharacteristicKind::ClientToServer).ok_or(missing("Client2Server"));
        let s2c = find(CharacteristicKind::ServerToClient).ok_or(missing("Server2Client"));
        let ident = find(CharacteristicKind::Ident);
        let psm = find(CharacteristicKind::L2capPsm);
        let (state, client2server, server2client) = match (state, c2s, s2c) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                let _ = peripheral.disconnect().await;
                return Err(e);
            }
        };
        // The notification stream first, so nothing notified right after subscribing is lost.
        let notifications = peripheral.notifications().await.map_err(btleplug_error)?;
        for c in [&state, &server2client] {
            if let Err(e) = peripheral.subscribe(c).await {
                let _ = peripheral.disconnect().await;
                return Err(btleplug_error(e));
            }
        }
        Ok(Self {
            id: peripheral.id(),
            state_uuid: state.uuid,
            server2client_uuid: server2client.uuid,
            peripheral,
            events,
            notifications,
            state,
            client2server,
            ident,
            psm,
            _adapter: adapter,
        })
    }

    /// The negotiated ATT MTU.
    pub(crate) fn att_mtu(&self) -> u16 {
        self.peripheral.mtu()
    }

    /// Reads the Ident characteristic (central client mode).
    pub(crate) async fn read_ident(&mut self) -> Result<Vec<u8>, BleError> {
        let c = self
            .ident
            .as_ref()
            .ok_or(BleError::MissingCharacteristic("Ident"))?;
        self.peripheral.read(c).await.map_err(btleplug_error)
    }

    /// Reads the L2CAP PSM characteristic, if the server has one.
    #[allow(dead_code)]
    pub(crate) async fn read_psm(&mut self) -> Result<Option<Vec<u8>>, BleError> {
        match &self.psm {
            Some(c) => self
                .peripheral
                .read(c)
                .await
                .map(Some)
                .map_err(btleplug_error),
            None => Ok(None),
        }
    }

    /// Writes State (without response).
    pub(crate) async fn write_state(&mut self, value: &[u8]) -> Result<(), BleError> {
        write(&self.peripheral, &self.state, value).await
    }

    /// Writes a chunk to Client2Server (without response).
    pub(crate) async fn write_chunk(&mut self, value: &[u8]) -> Result<(), BleError> {
        write(&self.peripheral, &self.client2server, value).await
    }

    /// The next notification or disconnection.
    pub(crate) async fn next_event(&mut self) -> ClientEvent {
        loop {
            tokio::select! {
                // Notifications first: a State end just before the disconnect is an end.
                biased;
                n = self.notifications.next() => match n {
                    Some(n) if n.uuid == self.state_uuid => return ClientEvent::State(n.value),
                    Some(n) if n.uuid == self.server2client_uuid => return ClientEvent::Chunk(n.value),
                    Some(_) => {}
                    None => return ClientEvent::Disconnected,
                },
                e = self.events.next() => match e {
                    Some(CentralEvent::DeviceDisconnected(id)) if id == self.id => {
                        return ClientEvent::Disconnected
                    }
                    Some(_) => {}
                    None => return ClientEvent::Disconnected,
                },
            }
        }
    }

    /// Releases the link.
    pub(crate) async fn disconnect(&mut self) {
        let _ = self.peripheral.disconnect().await;
    }
}

async fn write(p: &Peripheral, c: &Characteristic, value: &[u8]) -> Result<(), BleError> {
    p.write(c, value, WriteType::WithoutResponse)
        .await
        .map_err(|e| match e {
            btleplug::Error::NotConnected => BleError::LinkLost { mid_message: false },
            other => btleplug_error(other),
        })
}
