//! Workers: `/queen/ctl` effects (spawn, kill, bind, mount) and worker telemetry rings under
//! `/worker/<id>/telemetry` and `/shard/<ll>/worker/<id>/telemetry`.

use cohesix_core::control::QueenCtl;
use sha2::{Digest, Sha256};

use super::bounds::{MAX_BINDS, MAX_WORKERS};
use super::error::{NsError, NsResult};
use super::{Cursors, Namespace, Ring};

/// A spawned worker.
#[derive(Debug, Clone)]
pub struct Worker {
    /// `worker-<n>`.
    pub id: String,
    /// `heartbeat` or `gpu`.
    pub kind: &'static str,
    /// GPU holding this worker's lease.
    pub gpu: Option<String>,
    /// Telemetry ring.
    pub ring: Ring,
}

/// Shard label of a worker id: first byte of SHA-256(id) as two lowercase hex digits.
pub fn shard_label(id: &str) -> String {
    let digest = Sha256::digest(id.as_bytes());
    format!("{:02x}", digest[0])
}

impl Namespace {
    /// Applies one `/queen/ctl` command (decoded and validated by the core's [`QueenCtl`]:
    /// shapes, positive integers, id tokens, paths); returns the worker it spawned or killed.
    /// The rules kept here are the queen's state: lifecycle gate, worker and bind tables, a
    /// known GPU, a live worker to kill.
    pub(super) fn queen_ctl(&mut self, payload: &str) -> NsResult<Option<String>> {
        let mut worker = None;
        match QueenCtl::decode(payload.as_bytes())? {
            QueenCtl::SpawnHeartbeat { ticks, .. } => {
                self.admit_spawn()?;
                let id = self.new_worker("heartbeat", None);
                self.log.push(format!(
                    "[INFO  queen] spawned {id} kind=heartbeat ticks={ticks}"
                ));
                worker = Some(id);
            }
            QueenCtl::SpawnGpu { lease, .. } => {
                self.admit_spawn()?;
                let gpu = self
                    .gpus
                    .iter_mut()
                    .find(|g| g.id == lease.gpu_id)
                    .ok_or(NsError::InvalidPayload)?;
                let id = format!("worker-{}", self.next_worker);
                gpu.grant(&lease, &id)?;
                let id = self.new_worker("gpu", Some(lease.gpu_id.to_owned()));
                self.log.push(format!(
                    "[INFO  queen] spawned {id} kind=gpu gpu_id={}",
                    lease.gpu_id
                ));
                worker = Some(id);
            }
            QueenCtl::Kill { worker_id } => {
                let pos = self
                    .workers
                    .iter()
                    .position(|w| w.id == worker_id)
                    .ok_or(NsError::InvalidPath)?;
                let w = self.workers.remove(pos);
                if let Some(g) = w.gpu.and_then(|g| self.gpus.iter_mut().find(|x| x.id == g)) {
                    g.release(worker_id)?;
                }
                self.log.push(format!("[INFO  queen] killed {worker_id}"));
                worker = Some(worker_id.to_owned());
            }
            QueenCtl::Bind { from, to } => {
                let line = format!("[INFO  queen] bind {from} -> {to}");
                if let Some(entry) = self.binds.iter_mut().find(|(_, t)| t == to) {
                    from.clone_into(&mut entry.0);
                } else {
                    self.admit_bind()?;
                    self.binds.push((from.to_owned(), to.to_owned()));
                }
                self.log.push(line);
            }
            QueenCtl::Mount { service, at } => {
                let line = format!("[INFO  queen] mount {service} at {at}");
                if let Some(entry) = self.mounts.iter_mut().find(|(_, a)| a == at) {
                    service.clone_into(&mut entry.0);
                } else {
                    self.admit_bind()?;
                    self.mounts.push((service.to_owned(), at.to_owned()));
                }
                self.log.push(line);
            }
        }
        Ok(worker)
    }

    /// Lifecycle gate, then the worker table bound ([`MAX_WORKERS`], `buffer-full`).
    fn admit_spawn(&self) -> NsResult<()> {
        if !self.lifecycle.state.admits_work() {
            return Err(NsError::Denied);
        }
        if self.workers.len() >= MAX_WORKERS {
            return Err(NsError::BufferFull);
        }
        Ok(())
    }

    /// Bind/mount table bound ([`MAX_BINDS`], shared, `buffer-full`).
    fn admit_bind(&self) -> NsResult<()> {
        if self.binds.len() + self.mounts.len() >= MAX_BINDS {
            return Err(NsError::BufferFull);
        }
        Ok(())
    }

    fn new_worker(&mut self, kind: &'static str, gpu: Option<String>) -> String {
        let id = format!("worker-{}", self.next_worker);
        self.next_worker = self.next_worker.saturating_add(1);
        self.workers.push(Worker {
            id: id.clone(),
            kind,
            gpu,
            ring: Ring::default(),
        });
        id
    }

    fn worker_mut(&mut self, id: &str, shard: Option<&str>) -> NsResult<&mut Worker> {
        if shard.is_some_and(|ll| ll != shard_label(id)) {
            return Err(NsError::InvalidPath);
        }
        self.workers
            .iter_mut()
            .find(|w| w.id == id)
            .ok_or(NsError::InvalidPath)
    }

    pub(super) fn ring_append(
        &mut self,
        id: &str,
        shard: Option<&str>,
        payload: &str,
    ) -> NsResult<()> {
        let wrapped = self.worker_mut(id, shard)?.ring.push(payload);
        if wrapped > 0 {
            self.drops.ring_lines += wrapped;
            self.log.push(format!("telemetry ring wrap worker={id}"));
        }
        Ok(())
    }

    pub(super) fn ring_tail(
        &mut self,
        id: &str,
        shard: Option<&str>,
        path: &str,
        cursors: &mut Cursors,
    ) -> NsResult<Vec<String>> {
        let cursor = cursors.get(path);
        let (lines, end) = self.worker_mut(id, shard)?.ring.since(cursor);
        cursors.set(path, end);
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_labels_match_regression_script() {
        assert_eq!(shard_label("worker-1"), "13");
        assert_eq!(shard_label("worker-2"), "1c");
    }
}
