//! Group commit. Registrations that reach their write at the same time share
//! one transaction: a writer task takes every registration waiting, re-checks
//! and inserts each under its context's lock, and commits once. On SQLite,
//! where every commit syncs the log to disk (`synchronous=FULL`) and only one
//! writer runs at a time anyway, that makes one sync serve many
//! registrations; on PostgreSQL a replica takes the context's row lock once
//! per group instead of once per registration.

use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use super::cache::Ticket;
use super::config::Scope;
use super::register::{audit_registration, Plan, Registered};
use super::source::SettingsSnapshot;
use super::subject::Subject;
use super::{Registry, RegistryError};
use crate::audit::AuditScope;
use crate::store::{Change, WriteTx};

/// The most registrations one transaction takes.
const MAX_GROUP: usize = 128;
/// Registrations waiting for the writer, at most; more wait to be queued.
const QUEUE_CAPACITY: usize = 1024;

/// `None` when the subject moved under the plan.
type Outcome = Result<Option<Registered>, RegistryError>;

struct Job {
    subject: Subject,
    plan: Plan,
    ticket: Ticket,
    /// The audit scope of the request that asked for it: the writer runs in
    /// a task of its own.
    audit: Option<Arc<AuditScope>>,
    reply: oneshot::Sender<Outcome>,
}

/// The queue to the writer task, started with the first registration.
#[derive(Default)]
pub struct WriteQueue {
    sender: OnceLock<mpsc::Sender<Job>>,
}

impl Registry {
    /// Writes a planned registration with whatever others are waiting.
    pub(super) async fn write_grouped(
        &self,
        subject: &Subject,
        plan: Plan,
        ticket: Ticket,
    ) -> Outcome {
        let sender = self.queue.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
            // The task holds the registry; it ends with the runtime.
            tokio::spawn(self.clone().write_loop(receiver));
            sender
        });
        let (reply, outcome) = oneshot::channel();
        let stopped = || RegistryError::Internal("the registry's writer stopped".to_owned());
        sender
            .send(Job {
                subject: subject.clone(),
                plan,
                ticket,
                audit: crate::audit::current(),
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }

    async fn write_loop(self, mut receiver: mpsc::Receiver<Job>) {
        while let Some(first) = receiver.recv().await {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match receiver.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            // One order of context locks for every writer, so that two
            // replicas' groups cannot deadlock.
            group.sort_by(|a, b| a.subject.context.cmp(&b.subject.context));
            self.write_group(group).await;
        }
    }

    async fn write_group(&self, group: Vec<Job>) {
        let outcomes = match self.write_together(&group).await {
            Ok(outcomes) => outcomes,
            Err(error) if group.len() == 1 => vec![Err(error)],
            // One failed insert takes the transaction with it: write each on
            // its own, so that only the failing one fails.
            Err(_) => {
                let mut outcomes = Vec::with_capacity(group.len());
                for job in &group {
                    outcomes.push(self.write_alone(job).await);
                }
                outcomes
            }
        };
        for (job, outcome) in group.into_iter().zip(outcomes) {
            // A client that went away does not care.
            let _ = job.reply.send(outcome);
        }
    }

    /// The config and mode of every scope the jobs' rules read.
    async fn settings_for(
        &self,
        tx: &mut WriteTx,
        group: &[&Job],
    ) -> Result<SettingsSnapshot, RegistryError> {
        let mut scopes: Vec<String> = group
            .iter()
            .flat_map(|job| Scope::Subject(job.subject.clone()).settings_scopes())
            .collect();
        scopes.sort();
        scopes.dedup();
        SettingsSnapshot::read(&mut tx.queries(), &scopes).await
    }

    async fn write_together(&self, group: &[Job]) -> Result<Vec<Outcome>, RegistryError> {
        let mut tx = self.store.begin().await?;
        // Registrations change no config or mode: one read serves the group.
        let jobs: Vec<&Job> = group.iter().collect();
        let mut settings = self.settings_for(&mut tx, &jobs).await?;
        let mut written = Vec::with_capacity(group.len());
        for job in group {
            let holds = self
                .still_holds(&mut tx, &mut settings, &job.subject, &job.plan)
                .await?;
            written.push(if holds {
                let registered = self.insert(&mut tx, &job.subject, &job.plan).await?;
                if let Some(scope) = &job.audit {
                    audit_registration(scope, &mut tx, &job.subject, &registered);
                }
                Some(registered)
            } else {
                None
            });
        }
        let changes = tx.commit().await?;
        self.apply_group(group, &written, &changes);
        Ok(written.into_iter().map(Ok).collect())
    }

    async fn write_alone(&self, job: &Job) -> Outcome {
        let mut tx = self.store.begin().await?;
        let mut settings = self.settings_for(&mut tx, &[job]).await?;
        if !self
            .still_holds(&mut tx, &mut settings, &job.subject, &job.plan)
            .await?
        {
            return Ok(None);
        }
        let registered = self.insert(&mut tx, &job.subject, &job.plan).await?;
        if let Some(scope) = &job.audit {
            audit_registration(scope, &mut tx, &job.subject, &registered);
        }
        let changes = tx.commit().await?;
        self.apply_group(
            std::slice::from_ref(job),
            std::slice::from_ref(&Some(registered.clone())),
            &changes,
        );
        Ok(Some(registered))
    }

    /// Makes the group's changes visible to this process's readers, keeping
    /// the histories the writes left where nothing else moved meanwhile.
    fn apply_group(&self, group: &[Job], written: &[Option<Registered>], changes: &[Change]) {
        self.metrics
            .versions_created(written.iter().flatten().count() as u64);
        let histories = group
            .iter()
            .zip(written)
            .filter_map(|(job, registered)| {
                let history = job.plan.history_after(registered.as_ref()?)?;
                Some((
                    job.ticket,
                    (job.subject.context.clone(), job.subject.name.clone()),
                    Arc::new(history),
                ))
            })
            .collect();
        self.caches.apply_own_writes(changes, histories);
    }
}
