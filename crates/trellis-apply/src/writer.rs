//! The state writer: one thread that makes every state write of an apply durable, grouping
//! the writes that arrive while it is busy into one [`StateStore::write_batch`].
//!
//! Operations that complete at about the same time thus share one flush, and no operation
//! moves its write to another thread of its own. Each write still returns only once it is
//! durable, so the executor's rule holds: a change's record is stored before anything that
//! depends on it starts, and an intent is stored before its create is sent.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;
use trellis_state::{StateStore, StateWrite};

/// The most writes one batch takes; more wait for the next batch.
const MAX_BATCH: usize = 512;

struct Request {
    writes: Vec<StateWrite>,
    done: oneshot::Sender<Result<(), String>>,
}

pub(crate) struct Writer {
    tx: Option<mpsc::Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub(crate) fn start(store: Arc<dyn StateStore>) -> Writer {
        let (tx, rx) = mpsc::channel::<Request>();
        let thread = std::thread::Builder::new()
            .name("trellis-state-writer".to_string())
            .spawn(move || serve(store.as_ref(), &rx))
            .ok();
        Writer {
            tx: thread.as_ref().map(|_| tx),
            thread,
        }
    }

    /// Makes `writes` durable together (atomically), in order.
    pub(crate) async fn write(&self, writes: Vec<StateWrite>) -> Result<(), String> {
        self.submit(writes)?
            .await
            .map_err(|_| "the state writer has stopped".to_string())?
    }

    /// Queues `writes`; the receiver answers once they are durable.
    fn submit(
        &self,
        writes: Vec<StateWrite>,
    ) -> Result<oneshot::Receiver<Result<(), String>>, String> {
        let (done, result) = oneshot::channel();
        self.tx
            .as_ref()
            .ok_or("the state writer could not be started")?
            .send(Request { writes, done })
            .map_err(|_| "the state writer has stopped".to_string())?;
        Ok(result)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel ends the thread once the queued writes are done.
        self.tx.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(store: &dyn StateStore, rx: &mpsc::Receiver<Request>) {
    while let Ok(first) = rx.recv() {
        let mut requests = vec![first];
        let mut count = requests[0].writes.len();
        while count < MAX_BATCH {
            match rx.try_recv() {
                Ok(more) => {
                    count += more.writes.len();
                    requests.push(more);
                }
                Err(_) => break,
            }
        }
        let writes: Vec<StateWrite> = requests
            .iter()
            .flat_map(|r| r.writes.iter().cloned())
            .collect();
        let result = store.write_batch(&writes).map_err(|e| e.to_string());
        for request in requests {
            let _ = request.done.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use trellis_state::{OutputState, ResourceState, State, StateError, StateMeta};
    use trellis_types::Address;

    use super::*;

    /// Records each batch; the first batch waits until the test lets it finish, so that
    /// the writes sent meanwhile queue up behind it.
    struct GatedStore {
        gate: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
        batches: Mutex<Vec<Vec<Address>>>,
    }

    impl StateStore for GatedStore {
        fn load(&self) -> Result<State, StateError> {
            Ok(State::default())
        }
        fn meta(&self) -> Result<StateMeta, StateError> {
            Ok(StateMeta::default())
        }
        fn begin_write(&self) -> Result<StateMeta, StateError> {
            Ok(StateMeta::default())
        }
        fn put_resource(&self, _: &ResourceState) -> Result<(), StateError> {
            unreachable!("the writer sends batches")
        }
        fn remove_resource(&self, _: &Address) -> Result<(), StateError> {
            unreachable!("the writer sends batches")
        }
        fn put_intent(&self, _: &trellis_state::Intent) -> Result<(), StateError> {
            unreachable!("the writer sends batches")
        }
        fn remove_intent(&self, _: &Address) -> Result<(), StateError> {
            unreachable!("the writer sends batches")
        }
        fn put_outputs(&self, _: &BTreeMap<String, OutputState>) -> Result<(), StateError> {
            Ok(())
        }
        fn put_deposed(&self, _: &trellis_state::DeposedObject) -> Result<(), StateError> {
            unreachable!("the writer sends batches")
        }
        fn remove_deposed(&self, _: &Address, _: &str) -> Result<(), StateError> {
            unreachable!("the writer sends batches")
        }
        fn replace_all(&self, _: &State) -> Result<(), StateError> {
            Ok(())
        }
        fn write_batch(&self, writes: &[StateWrite]) -> Result<(), StateError> {
            let gate = self.gate.lock().unwrap().take();
            if let Some(gate) = gate {
                gate.recv().unwrap();
            }
            self.batches
                .lock()
                .unwrap()
                .push(writes.iter().map(|w| w.address().clone()).collect());
            Ok(())
        }
    }

    fn remove(name: &str) -> StateWrite {
        StateWrite::RemoveResource(Address::managed("trellis_test_thing", name))
    }

    #[tokio::test(flavor = "current_thread")]
    async fn writes_that_arrive_during_a_flush_share_the_next_one() {
        let (open, gate) = std::sync::mpsc::channel();
        let store = Arc::new(GatedStore {
            gate: Mutex::new(Some(gate)),
            batches: Mutex::new(Vec::new()),
        });
        let writer = Writer::start(store.clone());

        // The first write holds the writer (inside write_batch) until the gate opens.
        let first = writer.submit(vec![remove("first")]).unwrap();
        while store.gate.lock().unwrap().is_some() {
            std::thread::yield_now();
        }
        // Nine more queue up meanwhile, one of them two writes that belong together.
        let mut rest: Vec<_> = (0..8)
            .map(|i| writer.submit(vec![remove(&format!("w{i}"))]).unwrap())
            .collect();
        rest.push(writer.submit(vec![remove("p1"), remove("p2")]).unwrap());
        open.send(()).unwrap();

        first.await.unwrap().unwrap();
        for r in rest {
            r.await.unwrap().unwrap();
        }
        let batches = store.batches.lock().unwrap().clone();
        let name = |a: &Address| a.name.clone();
        let names: Vec<Vec<String>> = batches
            .iter()
            .map(|b| b.iter().map(name).collect())
            .collect();
        assert_eq!(
            names,
            [
                vec!["first".to_string()],
                ["w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "p1", "p2"]
                    .map(String::from)
                    .to_vec(),
            ],
            "one flush for the first write, one for everything queued behind it"
        );
        drop(writer);
    }
}
