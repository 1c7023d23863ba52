//! A batch of accepted samples as one target's requests: each label set (a device's, an
//! interface's) is merged with every target's external labels and encoded the first time it is
//! sent, then kept with the set across polls (see [`super::series::Encoded`]); a poll's series
//! are its values written after those bytes. Requests hold at most
//! [`MAX_SAMPLES_PER_REQUEST`] samples.

use super::proto::EncodedLabels;
use super::request::WriteRequest;
use super::series::{Accepted, DeviceLabels, InterfaceLabels};

/// Samples in one request, at most (Prometheus sends 2,000 by default, vmagent 10,000; fewer,
/// larger requests cost less here: each one is a round trip, with its wake-ups, for the
/// sender). About 290 KB on the wire, 1.3 MB of protobuf.
pub const MAX_SAMPLES_PER_REQUEST: usize = 10_000;

/// Every target's external labels, in the order of the targets.
#[derive(Debug, Clone, Default)]
pub struct Externals(pub Vec<Vec<(String, String)>>);

impl Externals {
    /// `labels` merged with each target's external labels, sorted by name, encoded.
    fn encode<'a>(&'a self, labels: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Box<[EncodedLabels]> {
        let mut merged: Vec<(&str, &str)> = Vec::with_capacity(16);
        self.0
            .iter()
            .map(|externals| {
                merged.clear();
                merged.extend(labels.clone());
                merged.extend(externals.iter().map(|(n, v)| (n.as_str(), v.as_str())));
                merged.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut encoded = EncodedLabels::default();
                encoded.set(merged.iter().copied());
                encoded
            })
            .collect()
    }

    /// A device's labels for each target (encoded the first time).
    pub fn device<'a>(&self, device: &'a DeviceLabels) -> &'a [EncodedLabels] {
        device.encoded.get_or_init(|| self.encode(device_labels(device)))
    }

    /// An interface's labels, its device's included, for each target (encoded the first time).
    pub fn interface<'a>(&self, device: &DeviceLabels, interface: &'a InterfaceLabels) -> &'a [EncodedLabels] {
        interface.encoded.get_or_init(|| {
            let if_index = interface.if_index.to_string();
            let own = [
                ("ifIndex", if_index.as_str()),
                ("ifName", interface.if_name.as_str()),
                ("ifDescr", interface.if_descr.as_str()),
                ("ifAlias", interface.if_alias.as_str()),
            ];
            self.encode(device_labels(device).chain(own))
        })
    }
}

fn device_labels(device: &DeviceLabels) -> impl Iterator<Item = (&str, &str)> + Clone {
    device.labels.iter().map(|(n, v)| (*n, v.as_str()))
}

/// A finished request: its body as sent, its samples, the timestamp of its oldest sample.
pub struct Finished {
    pub body: bytes::Bytes,
    pub samples: u32,
    pub oldest_ms: i64,
}

/// Writes `batch` for target `target` (its index in `externals`) as requests with `request`
/// (its buffers kept from one batch to the next), handing each full one (and the last) to
/// `emit`.
pub fn requests<E>(
    batch: &[Accepted],
    target: usize,
    externals: &Externals,
    request: &mut WriteRequest,
    mut emit: impl FnMut(Finished) -> Result<(), E>,
) -> Result<(), E> {
    request.clear();
    let mut oldest = i64::MAX;
    let mut finish = |request: &mut WriteRequest, oldest: &mut i64| {
        let samples = request.len() as u32;
        let finished = Finished { body: request.finish(), samples, oldest_ms: *oldest };
        *oldest = i64::MAX;
        emit(finished)
    };
    // Hands `request` on once it holds a request's worth of samples.
    let mut emit_if_full = |request: &mut WriteRequest, oldest: &mut i64| {
        if request.len() < MAX_SAMPLES_PER_REQUEST {
            return Ok(());
        }
        finish(request, oldest)
    };
    for accepted in batch {
        let at = accepted.at_ms;
        let device = &accepted.device;
        for interface in accepted.interfaces() {
            let labels = &externals.interface(device, accepted.labels(interface))[target];
            request.push_all(labels, at, interface.samples());
            oldest = oldest.min(at);
            emit_if_full(request, &mut oldest)?;
        }
        let labels = &externals.device(device)[target];
        request.push_all(labels, at, accepted.device_samples());
        oldest = oldest.min(at);
        emit_if_full(request, &mut oldest)?;
    }
    if !request.is_empty() {
        finish(request, &mut oldest)?;
    }
    Ok(())
}
