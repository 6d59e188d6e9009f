//! Prometheus metrics, held in the application state (no global recorder): requests by
//! method, route and status, and their latency.

use metrics::{Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

const METADATA: Metadata<'static> = Metadata::new("schemareg", Level::INFO, Some(module_path!()));

/// Latency buckets in seconds: from a cached read to a plan verified in a scratch database.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The service's metrics.
pub struct Metrics {
    recorder: PrometheusRecorder,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            recorder: PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .expect("the buckets are not empty")
                .build_recorder(),
        }
    }
}

impl Metrics {
    /// Counts a finished request and records its latency.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = vec![
            Label::new("method", method.to_string()),
            Label::new("route", route.to_string()),
            Label::new("status", status.to_string()),
        ];
        let count = Key::from_parts("schemareg_http_requests_total", labels.clone());
        self.recorder.register_counter(&count, &METADATA).increment(1);
        let latency = Key::from_parts("schemareg_http_request_duration_seconds", labels);
        self.recorder.register_histogram(&latency, &METADATA).record(seconds);
    }

    /// Sets a gauge of a binding (`service`, `environment`).
    pub fn binding_gauge(&self, name: &'static str, service: &str, environment: &str, value: f64) {
        let labels = vec![
            Label::new("service", service.to_string()),
            Label::new("environment", environment.to_string()),
        ];
        self.recorder
            .register_gauge(&Key::from_parts(name, labels), &METADATA)
            .set(value);
    }

    /// Sets a gauge of a database server (labelled as [`crate::registry::connections::server_label`]).
    pub fn server_gauge(&self, name: &'static str, server: &str, value: f64) {
        let labels = vec![Label::new("server", server.to_string())];
        self.recorder
            .register_gauge(&Key::from_parts(name, labels), &METADATA)
            .set(value);
    }

    /// Sets a gauge without labels.
    pub fn gauge(&self, name: &'static str, value: f64) {
        self.recorder
            .register_gauge(&Key::from_name(name), &METADATA)
            .set(value);
    }

    /// Adds one to a counter with labels.
    pub fn count(&self, name: &'static str, labels: &[(&'static str, &str)]) {
        let labels: Vec<Label> = labels.iter().map(|(k, v)| Label::new(*k, v.to_string())).collect();
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &METADATA)
            .increment(1);
    }

    /// The metrics in Prometheus' text format.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }
}
