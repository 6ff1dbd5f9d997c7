//! The GATT server side on bluer: the mdoc service (holder, peripheral server mode) or the
//! reader service with Ident (reader, central client mode), plus advertising of the service
//! UUID. State and Client2Server use bluer's `Fun` write method and Server2Client / State the
//! `Fun` notify method: with the `Io` (AcquireWrite) methods BlueZ can deliver a Client2Server
//! write before a State write that preceded it on air (TESTING.md).

use std::collections::VecDeque;
use std::time::Duration;

use bluer::adv::{Advertisement, AdvertisementHandle, Type as AdvType};
use bluer::gatt::local::{
    Application, ApplicationHandle, Characteristic, CharacteristicNotifier, CharacteristicNotify,
    CharacteristicNotifyMethod, CharacteristicRead, CharacteristicWrite, CharacteristicWriteMethod,
    Service,
};
use bluer::Address;
use futures::{FutureExt, StreamExt};
use mdl_transport::{BleMode, BleUuid};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::adapter::bluer_error;
use super::uuid::to_uuid;
use crate::l2cap::psm_value;
use crate::profile::{CharacteristicKind, ModeProfile};
use crate::BleError;

/// What the radio reported to the server.
#[derive(Debug)]
pub(crate) enum ServerEvent {
    /// The client wrote State.
    State { value: Vec<u8>, mtu: u16 },
    /// The client wrote Client2Server.
    Chunk { value: Vec<u8>, mtu: u16 },
    /// The client subscribed (its CCCD write): the session's connection.
    Subscribed,
    /// The client disconnected or stopped its subscription.
    Disconnected,
}

enum Raw {
    Write {
        kind: CharacteristicKind,
        value: Vec<u8>,
        mtu: u16,
        device: Address,
    },
    Notifier {
        kind: CharacteristicKind,
        notifier: CharacteristicNotifier,
    },
    Disconnected,
}

/// A running GATT application and advertisement for one mode and service UUID.
pub(crate) struct GattServer {
    adapter: bluer::Adapter,
    _session: bluer::Session,
    app: Option<ApplicationHandle>,
    adv: Option<AdvertisementHandle>,
    raw_tx: mpsc::UnboundedSender<Raw>,
    raw_rx: mpsc::UnboundedReceiver<Raw>,
    pending: VecDeque<ServerEvent>,
    state_notifier: Option<CharacteristicNotifier>,
    s2c_notifier: Option<CharacteristicNotifier>,
    peer: Option<Address>,
    watchers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for GattServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GattServer")
            .field("adapter", &self.adapter.name())
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

fn write_characteristic(
    kind: CharacteristicKind,
    tx: &mpsc::UnboundedSender<Raw>,
) -> CharacteristicWrite {
    let tx = tx.clone();
    CharacteristicWrite {
        write_without_response: true,
        method: CharacteristicWriteMethod::Fun(Box::new(move |value, req| {
            // The receiver lives as long as the server; a send after it is gone is moot.
            let _ = tx.send(Raw::Write {
                kind,
                value,
                mtu: req.mtu,
                device: req.device_address,
            });
            async { Ok(()) }.boxed()
        })),
        ..CharacteristicWrite::default()
    }
}

fn notify_characteristic(
    kind: CharacteristicKind,
    tx: &mpsc::UnboundedSender<Raw>,
) -> CharacteristicNotify {
    let tx = tx.clone();
    CharacteristicNotify {
        notify: true,
        method: CharacteristicNotifyMethod::Fun(Box::new(move |notifier| {
            let _ = tx.send(Raw::Notifier { kind, notifier });
            async {}.boxed()
        })),
        ..CharacteristicNotify::default()
    }
}

fn read_characteristic(value: Vec<u8>) -> CharacteristicRead {
    CharacteristicRead {
        read: true,
        fun: Box::new(move |_req| {
            let value = value.clone();
            async move { Ok(value) }.boxed()
        }),
        ..CharacteristicRead::default()
    }
}

impl GattServer {
    /// Serves `mode`'s service under `service_uuid` and advertises it. `ident` is served in
    /// central client mode; `psm` is served when an L2CAP listener is up.
    pub(crate) async fn start(
        session: bluer::Session,
        adapter: bluer::Adapter,
        mode: BleMode,
        service_uuid: BleUuid,
        ident: Option<[u8; 16]>,
        psm: Option<u16>,
    ) -> Result<Self, BleError> {
        let (raw_tx, raw_rx) = mpsc::unbounded_channel();
        let profile = ModeProfile::of(mode);
        let mut characteristics = Vec::new();
        for spec in profile.characteristics {
            let uuid = to_uuid(&spec.uuid);
            let c = match spec.kind {
                CharacteristicKind::State => Characteristic {
                    uuid,
                    write: Some(write_characteristic(spec.kind, &raw_tx)),
                    notify: Some(notify_characteristic(spec.kind, &raw_tx)),
                    ..Characteristic::default()
                },
                CharacteristicKind::ClientToServer => Characteristic {
                    uuid,
                    write: Some(write_characteristic(spec.kind, &raw_tx)),
                    ..Characteristic::default()
                },
                CharacteristicKind::ServerToClient => Characteristic {
                    uuid,
                    notify: Some(notify_characteristic(spec.kind, &raw_tx)),
                    ..Characteristic::default()
                },
                CharacteristicKind::Ident => match ident {
                    Some(ident) => Characteristic {
                        uuid,
                        read: Some(read_characteristic(ident.to_vec())),
                        ..Characteristic::default()
                    },
                    None => {
                        return Err(BleError::UnsupportedCarrier(
                            "central client mode needs the Ident",
                        ))
                    }
                },
                CharacteristicKind::L2capPsm => match psm {
                    Some(psm) => Characteristic {
                        uuid,
                        read: Some(read_characteristic(psm_value(psm).to_vec())),
                        ..Characteristic::default()
                    },
                    None => continue,
                },
            };
            characteristics.push(c);
        }
        let app = Application {
            services: vec![Service {
                uuid: to_uuid(&service_uuid),
                primary: true,
                characteristics,
                ..Service::default()
            }],
            ..Application::default()
        };
        let app = adapter
            .serve_gatt_application(app)
            .await
            .map_err(bluer_error)?;
        let adv = Advertisement {
            advertisement_type: AdvType::Peripheral,
            service_uuids: [to_uuid(&service_uuid)].into_iter().collect(),
            discoverable: Some(true),
            ..Advertisement::default()
        };
        let adv = adapter.advertise(adv).await.map_err(bluer_error)?;
        Ok(Self {
            adapter,
            _session: session,
            app: Some(app),
            adv: Some(adv),
            raw_tx,
            raw_rx,
            pending: VecDeque::new(),
            state_notifier: None,
            s2c_notifier: None,
            peer: None,
            watchers: Vec::new(),
        })
    }

    /// The next event; `None` once the server's channel is gone (never while it runs).
    pub(crate) async fn next_event(&mut self) -> Option<ServerEvent> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(e);
            }
            let raw = self.raw_rx.recv().await?;
            if let Some(e) = self.absorb(raw) {
                return Some(e);
            }
        }
    }

    /// Files a raw event: notifiers are kept, the first write names the peer to watch.
    fn absorb(&mut self, raw: Raw) -> Option<ServerEvent> {
        match raw {
            Raw::Notifier { kind, notifier } => {
                let stopped = notifier.stopped();
                let tx = self.raw_tx.clone();
                self.watchers.push(tokio::spawn(async move {
                    stopped.await;
                    let _ = tx.send(Raw::Disconnected);
                }));
                let first = self.state_notifier.is_none() && self.s2c_notifier.is_none();
                match kind {
                    CharacteristicKind::State => self.state_notifier = Some(notifier),
                    _ => self.s2c_notifier = Some(notifier),
                }
                first.then_some(ServerEvent::Subscribed)
            }
            Raw::Write {
                kind,
                value,
                mtu,
                device,
            } => {
                if self.peer.is_none() {
                    self.peer = Some(device);
                    self.watch(device);
                }
                Some(match kind {
                    CharacteristicKind::State => ServerEvent::State { value, mtu },
                    _ => ServerEvent::Chunk { value, mtu },
                })
            }
            Raw::Disconnected => Some(ServerEvent::Disconnected),
        }
    }

    /// Reports the peer's disconnection (BlueZ's Device1.Connected turning false).
    fn watch(&mut self, device: Address) {
        let Ok(device) = self.adapter.device(device) else {
            return;
        };
        let tx = self.raw_tx.clone();
        self.watchers.push(tokio::spawn(async move {
            let Ok(events) = device.events().await else {
                return;
            };
            let mut events = std::pin::pin!(events);
            while let Some(bluer::DeviceEvent::PropertyChanged(p)) = events.next().await {
                if let bluer::DeviceProperty::Connected(false) = p {
                    let _ = tx.send(Raw::Disconnected);
                    return;
                }
            }
        }));
    }

    /// Waits (up to `timeout`) until the client subscribed to `kind`, keeping other events.
    async fn notifier(
        &mut self,
        kind: CharacteristicKind,
        timeout: Duration,
    ) -> Result<&mut CharacteristicNotifier, BleError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let ready = match kind {
                CharacteristicKind::State => self.state_notifier.is_some(),
                _ => self.s2c_notifier.is_some(),
            };
            if ready {
                break;
            }
            let raw = tokio::time::timeout_at(deadline, self.raw_rx.recv())
                .await
                .map_err(|_| BleError::TimedOut("waiting for the client to subscribe"))?
                .ok_or(BleError::LinkLost { mid_message: false })?;
            if let Some(e) = self.absorb(raw) {
                self.pending.push_back(e);
            }
        }
        let n = match kind {
            CharacteristicKind::State => self.state_notifier.as_mut(),
            _ => self.s2c_notifier.as_mut(),
        };
        n.ok_or(BleError::LinkLost { mid_message: false })
    }

    /// Notifies `value` on State or Server2Client.
    pub(crate) async fn notify(
        &mut self,
        kind: CharacteristicKind,
        value: Vec<u8>,
        timeout: Duration,
    ) -> Result<(), BleError> {
        let notifier = self.notifier(kind, timeout).await?;
        notifier
            .notify(value)
            .await
            .map_err(|_| BleError::LinkLost { mid_message: false })
    }

    /// Stops serving and advertising and drops the client's connection.
    pub(crate) async fn shutdown(&mut self) {
        self.adv.take();
        self.app.take();
        self.state_notifier = None;
        self.s2c_notifier = None;
        for w in self.watchers.drain(..) {
            w.abort();
        }
        if let Some(peer) = self.peer.take() {
            if let Ok(device) = self.adapter.device(peer) {
                let _ = device.disconnect().await;
            }
        }
    }
}

impl Drop for GattServer {
    fn drop(&mut self) {
        for w in self.watchers.drain(..) {
            w.abort();
        }
    }
}
