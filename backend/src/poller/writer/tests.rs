use std::sync::atomic::Ordering;

use super::hand_off::HOLD;
use super::*;
use crate::device::{Device, DeviceConfig};

/// A store with `count` devices and a writer for it (the directory lives as long as the store).
fn fleet(count: u16) -> (tempfile::TempDir, Arc<Store>, Vec<Device>, Arc<StoreWriter>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), crate::store::Retention::default()).unwrap());
    let devices = (0..count)
        .map(|i| store.add_device(DeviceConfig::v2c(&format!("r{i}"), "127.0.0.1", 1161 + i, "public")).unwrap())
        .collect();
    let writer = Arc::new(StoreWriter::start(store.clone(), Sink::new()).unwrap());
    (dir, store, devices, writer)
}

fn handed(writer: &StoreWriter) -> u64 {
    writer.hand_off.handed.load(Ordering::Relaxed)
}

#[tokio::test]
async fn records_are_written_in_poll_order_and_a_full_queue_makes_the_poller_wait() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), crate::store::Retention::default()).unwrap());
    let device = store.add_device(DeviceConfig::v2c("r1", "127.0.0.1", 1161, "public")).unwrap();
    let writer = StoreWriter::start(store.clone(), Sink::new()).unwrap();
    let name: Arc<str> = Arc::from("r1");
    let now = crate::store::now_secs();

    // A poll, a failure, a poll: the last one written wins, whatever the threads do.
    writer.send(&device.id, &name, Write::Poll(PollRecord::answered_at(now - 30))).await;
    let failure = Write::Failure { at_secs: now - 20, took_ms: 5, error: "no SNMP answer".into() };
    writer.send(&device.id, &name, failure).await;
    writer.send(&device.id, &name, Write::Poll(PollRecord::answered_at(now - 10))).await;
    assert!(writer.drained(Duration::from_secs(30)).await);
    let status = store.latest(&device.id).unwrap().status;
    assert_eq!((status.last_poll_at, status.last_error), (Some(now - 10), None));

    // No room left (as behind a stalled disk): the poller waits, nothing is dropped.
    let taken = writer.room.clone().acquire_many_owned(MAX_QUEUED_BYTES as u32).await.unwrap();
    let waiting = writer.send(&device.id, &name, Write::Poll(PollRecord::answered_at(now - 5)));
    tokio::pin!(waiting);
    assert!(tokio::time::timeout(Duration::from_millis(200), &mut waiting).await.is_err(), "it waits");
    assert_eq!(store.latest(&device.id).unwrap().status.last_poll_at, Some(now - 10));
    drop(taken);
    waiting.await;
    assert!(writer.drained(Duration::from_secs(30)).await);
    assert_eq!(store.latest(&device.id).unwrap().status.last_poll_at, Some(now - 5));
}

#[test]
fn records_queued_in_one_turn_are_handed_over_together() {
    let (_dir, store, devices, writer) = fleet(3);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let now = crate::store::now_secs();
    runtime.block_on(async {
        // Three polls ending in the same turn (tasks woken together), as after one grid step.
        let polls: Vec<_> = devices
            .iter()
            .map(|device| {
                let (writer, id) = (writer.clone(), device.id.clone());
                tokio::spawn(async move {
                    writer.send(&id, &Arc::from("r"), Write::Poll(PollRecord::answered_at(now - 10))).await;
                })
            })
            .collect();
        for poll in polls {
            poll.await.unwrap();
        }
        assert!(writer.drained(Duration::from_secs(30)).await);
    });
    assert_eq!(handed(&writer), 2, "one batch of three polls, then the marker");
    for device in &devices {
        assert_eq!(store.latest(&device.id).unwrap().status.last_poll_at, Some(now - 10));
    }
}

#[tokio::test(start_paused = true)]
async fn records_of_polls_ending_one_by_one_go_together_when_the_last_ends() {
    let (_dir, store, devices, writer) = fleet(3);
    let now = crate::store::now_secs();
    let started = tokio::time::Instant::now();
    // Three polls of a burst, started together, answered 10, 20 and 30 ms later (agents that
    // answer each at its own pace): each ends in a turn of its own.
    let polls: Vec<_> = (1..)
        .zip(&devices)
        .map(|(i, device)| {
            let (writer, id) = (writer.clone(), device.id.clone());
            let under_way = writer.poll_under_way();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(10 * i)).await;
                writer.send(&id, &Arc::from("r"), Write::Poll(PollRecord::answered_at(now - 10))).await;
                drop(under_way);
            })
        })
        .collect();
    for poll in polls {
        poll.await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(handed(&writer), 1, "one batch for the burst, handed over when its last poll ended");
    assert!(started.elapsed() < HOLD, "not held past the last poll: {:?}", started.elapsed());
    tokio::time::resume(); // the writer's thread works in real time
    assert!(writer.drained(Duration::from_secs(30)).await);
    for device in &devices {
        assert_eq!(store.latest(&device.id).unwrap().status.last_poll_at, Some(now - 10));
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_poll_holds_the_others_records_no_longer_than_the_hold() {
    let (_dir, store, devices, writer) = fleet(2);
    let now = crate::store::now_secs();
    let slow = writer.poll_under_way(); // waiting for an agent that does not answer
    let (fast, name) = (&devices[0].id, Arc::from("r0"));
    let under_way = writer.poll_under_way();
    writer.send(fast, &name, Write::Poll(PollRecord::answered_at(now - 10))).await;
    drop(under_way);
    tokio::time::sleep(HOLD / 2).await;
    assert_eq!(handed(&writer), 0, "held while a poll of the burst is under way");
    tokio::time::sleep(HOLD).await;
    assert_eq!(handed(&writer), 1, "handed over after the hold, the slow poll still under way");
    tokio::time::resume();
    assert!(writer.drained(Duration::from_secs(30)).await);
    assert_eq!(store.latest(fast).unwrap().status.last_poll_at, Some(now - 10));
    drop(slow);
}

#[tokio::test(start_paused = true)]
async fn a_write_someone_waits_for_goes_at_once_with_what_was_held() {
    let (_dir, store, devices, writer) = fleet(2);
    let now = crate::store::now_secs();
    let _slow = writer.poll_under_way();
    writer.send(&devices[0].id, &Arc::from("r0"), Write::Poll(PollRecord::answered_at(now - 10))).await;
    let target = Target::polled(&store, &devices[1].id, Arc::from("r1"));
    let failure = Write::Failure { at_secs: now - 5, took_ms: 1, error: "poller failed".into() };
    let waiting = {
        let writer = writer.clone();
        tokio::spawn(async move { writer.send_and_wait(&target, failure).await })
    };
    tokio::task::yield_now().await; // its first turn, no time passed
    assert_eq!(handed(&writer), 1, "handed over at once, the held poll with it, in one batch");
    tokio::time::resume();
    waiting.await.unwrap();
    assert_eq!(store.latest(&devices[0].id).unwrap().status.last_poll_at, Some(now - 10));
}

#[test]
fn a_hold_stopped_with_its_runtime_still_hands_its_batch_over() {
    let (_dir, store, devices, writer) = fleet(1);
    let now = crate::store::now_secs();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let slow = writer.poll_under_way();
    runtime.block_on(async {
        writer.send(&devices[0].id, &Arc::from("r0"), Write::Poll(PollRecord::answered_at(now - 10))).await;
        tokio::task::yield_now().await; // the hold starts waiting for the slow poll
    });
    assert_eq!(handed(&writer), 0, "held while a poll is under way");
    drop(runtime); // stops the hold mid-wait, as a shutdown does
    assert_eq!(handed(&writer), 1, "the batch went when its hold stopped");
    drop(slow);
    let done = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert!(done.block_on(writer.drained(Duration::from_secs(30))));
    assert_eq!(store.latest(&devices[0].id).unwrap().status.last_poll_at, Some(now - 10));
}
