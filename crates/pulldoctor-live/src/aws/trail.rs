//! CloudTrail: the calls that change a pull's network path, in the window before the first failure.

use serde_json::{Value, json};

use std::time::{Duration, SystemTime};

use futures_util::future::join_all;
use tokio::sync::Semaphore;

use super::{AwsOptions, CONCURRENT_TRAIL_LOOKUPS, Run, TRAIL_PAGES, shapes};

/// CloudTrail: each network-changing call in the window, newest first, as `lookup-events` prints.
pub(super) async fn trail(run: &Run<'_>, config: &aws_config::SdkConfig, options: &AwsOptions) {
    if options.trail_events.is_empty() {
        return;
    }
    let client = aws_sdk_cloudtrail::Client::new(config);
    let since = options.changes_since.unwrap_or_else(|| SystemTime::now() - Duration::from_secs(14 * 24 * 3600));
    let gate = Semaphore::new(CONCURRENT_TRAIL_LOOKUPS);
    // After a failure the other lookups would fail the same way (denied, or no CloudTrail there):
    // one gap says it.
    let broken = std::sync::atomic::AtomicBool::new(false);
    join_all(options.trail_events.iter().map(|name| {
        let (client, gate, broken) = (&client, &gate, &broken);
        async move {
            let _turn = gate.acquire().await;
            if broken.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            let attribute = aws_sdk_cloudtrail::types::LookupAttribute::builder()
                .attribute_key(aws_sdk_cloudtrail::types::LookupAttributeKey::EventName)
                .attribute_value(name)
                .build();
            let Ok(attribute) = attribute else { return };
            let pages = async {
                let mut stream = client
                    .lookup_events()
                    .lookup_attributes(attribute)
                    .start_time(aws_smithy_types::DateTime::from(since))
                    .into_paginator()
                    .send();
                let mut pages = Vec::new();
                while let Some(page) = stream.next().await {
                    pages.push(page?);
                    if pages.len() == TRAIL_PAGES {
                        break;
                    }
                }
                Ok::<_, aws_sdk_cloudtrail::error::SdkError<aws_sdk_cloudtrail::operation::lookup_events::LookupEventsError>>(pages)
            };
            match run.call("cloudtrail:LookupEvents", pages).await {
                Some(pages) => {
                    let events: Vec<Value> = pages.iter().flat_map(|p| p.events()).map(shapes::trail_event).collect();
                    run.file(format!("aws/cloudtrail-lookup-events-{name}.json"), json!({"Events": events}));
                }
                None => broken.store(true, std::sync::atomic::Ordering::Relaxed),
            }
        }
    }))
    .await;
}
