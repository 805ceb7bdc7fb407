//! Micro-batching: many concurrent callers, few database round trips.
//!
//! Callers submit a job and await its result; a worker takes every job that
//! is waiting (up to a limit) and handles them together, typically in one
//! transaction with multi-row statements. When the server is idle a batch
//! holds one job and adds no delay; under load, batches grow and the cost
//! of a commit and of each round trip is shared. On SQLite the write
//! batchers run one worker, which also serialises writers in the process.
//!
//! May touch: nothing else in the crate. Never `domain` or an entry point.

use std::{future::Future, sync::Arc};

use tokio::sync::{mpsc, oneshot, Mutex};

/// A job queue served by `workers` tasks running a batch handler.
pub struct Batcher<J, R> {
    queue: mpsc::Sender<(J, oneshot::Sender<R>)>,
}

impl<J, R> Clone for Batcher<J, R> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

/// The batch worker has stopped (the runtime is shutting down, or the
/// handler panicked).
#[derive(Debug, thiserror::Error)]
#[error("the batch worker is not running")]
pub struct WorkerGone;

impl<J: Send + 'static, R: Send + 'static> Batcher<J, R> {
    /// Starts the workers; `name` labels the batch-size metric. `handler` receives a non-empty batch and must
    /// return exactly one result per job, in order.
    pub fn spawn<F, Fut>(name: &'static str, workers: usize, max_batch: usize, handler: F) -> Self
    where
        F: Fn(Vec<J>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<R>> + Send + 'static,
    {
        let (queue, receiver) = mpsc::channel(max_batch * 64);
        let receiver = Arc::new(Mutex::new(receiver));
        let handler = Arc::new(handler);
        for _ in 0..workers.max(1) {
            let receiver = receiver.clone();
            let handler = handler.clone();
            tokio::spawn(async move {
                let mut batch = Vec::with_capacity(max_batch);
                loop {
                    if receiver.lock().await.recv_many(&mut batch, max_batch).await == 0 {
                        return;
                    }
                    metrics::histogram!("galley_batch_jobs", "batcher" => name)
                        .record(batch.len() as f64);
                    let (jobs, replies): (Vec<J>, Vec<oneshot::Sender<R>>) =
                        batch.drain(..).unzip();
                    let results = handler(jobs).await;
                    debug_assert_eq!(results.len(), replies.len());
                    for (reply, result) in replies.into_iter().zip(results) {
                        let _ = reply.send(result);
                    }
                }
            });
        }
        Self { queue }
    }

    /// Submits a job and waits for its result.
    pub async fn call(&self, job: J) -> Result<R, WorkerGone> {
        let (reply, result) = oneshot::channel();
        self.queue
            .send((job, reply))
            .await
            .map_err(|_| WorkerGone)?;
        result.await.map_err(|_| WorkerGone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_caller_gets_its_own_result_and_batches_form_under_load() {
        let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let batcher = Batcher::spawn("test", 1, 16, move |jobs: Vec<u32>| {
            seen.lock().unwrap().push(jobs.len());
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                jobs.into_iter().map(|j| j * 2).collect::<Vec<_>>()
            }
        });
        let calls: Vec<_> = (0..100u32)
            .map(|i| {
                let batcher = batcher.clone();
                tokio::spawn(async move { (i, batcher.call(i).await.unwrap()) })
            })
            .collect();
        for call in calls {
            let (i, doubled) = call.await.unwrap();
            assert_eq!(doubled, i * 2);
        }
        let sizes = sizes.lock().unwrap();
        assert_eq!(sizes.iter().sum::<usize>(), 100);
        assert!(sizes.iter().all(|s| *s <= 16));
        assert!(sizes.len() < 100, "jobs were batched: {sizes:?}");
    }
}
