//! The Prometheus HTTP API's answers (`/api/v1/query`, `/api/v1/query_range`), as
//! VictoriaMetrics, Prometheus, Mimir and Thanos give them, read strictly: anything but a success
//! with the expected result type is a reason string, never a panic. Pure: no I/O.

use std::collections::HashMap;

use serde::Deserialize;

#[derive(Deserialize)]
struct Envelope {
    status: String,
    data: Option<Data>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<RawSeries>,
}

/// A matrix series has `values`, a vector sample one `value`.
#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: HashMap<String, String>,
    values: Option<Vec<(f64, String)>>,
    value: Option<(f64, String)>,
}

/// What a query should answer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Expect {
    /// A range query, or an instant query of a range selector (raw samples).
    Matrix,
    /// An instant query of an instant vector: one sample per series.
    Vector,
}

/// One series: its labels and samples (a vector sample is a series of one).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub labels: HashMap<String, String>,
    pub samples: Vec<Sample>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub at_ms: i64,
    /// NaN and infinities are kept as such; callers treat them as no value.
    pub value: f64,
}

/// The series of a success answer, or why it is not one.
pub fn parse(body: &[u8], expect: Expect) -> Result<Vec<Series>, String> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| format!("not a Prometheus API answer: {e}"))?;
    if envelope.status != "success" {
        return Err(failure_text(&envelope));
    }
    let data = envelope.data.ok_or("a success without data")?;
    let wanted = match expect {
        Expect::Matrix => "matrix",
        Expect::Vector => "vector",
    };
    if data.result_type != wanted {
        return Err(format!("a {} where a {wanted} was expected", data.result_type));
    }
    data.result
        .into_iter()
        .map(|raw| {
            let samples = match (expect, raw.values, raw.value) {
                (Expect::Matrix, Some(values), None) => values.into_iter().map(sample).collect::<Result<_, _>>()?,
                (Expect::Vector, None, Some(value)) => vec![sample(value)?],
                _ => return Err(format!("a {wanted} series without its samples")),
            };
            Ok(Series { labels: raw.metric, samples })
        })
        .collect()
}

/// The message of an error answer (`{"status":"error","errorType":…,"error":…}`), if it is one.
pub fn error_message(body: &[u8]) -> Option<String> {
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    (envelope.status == "error").then(|| failure_text(&envelope))
}

fn failure_text(envelope: &Envelope) -> String {
    let kind = envelope.error_type.as_deref().unwrap_or("error");
    let message = envelope.error.as_deref().unwrap_or("no message");
    format!("{kind}: {}", shorten(message))
}

/// At most 300 characters of a message from the TSDB, for logs and error answers.
pub fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 300;
    let text = text.trim();
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// `[1796078699.999, "100"]`: a time in seconds (millisecond precision) and the value as text.
fn sample((at, value): (f64, String)) -> Result<Sample, String> {
    if !at.is_finite() || !(0.0..=crate::api::time_range::MAX_TIME_SECS as f64 * 2.0).contains(&at) {
        return Err(format!("a sample time out of range: {at}"));
    }
    let value = match value.as_str() {
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        text => text.parse::<f64>().map_err(|_| format!("a sample value that is not a number: {}", shorten(text)))?,
    };
    Ok(Sample { at_ms: (at * 1000.0).round() as i64, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_answer_reads_as_series_of_samples() {
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"vigie_stat":"0"},"values":[[1796078699.999,"100"],[1796078759.999,"2.5e3"],[1796078819.999,"NaN"]]}]}}"#;
        let series = parse(body, Expect::Matrix).unwrap();
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].labels["vigie_stat"], "0");
        assert_eq!(series[0].samples[0], Sample { at_ms: 1_796_078_699_999, value: 100.0 });
        assert_eq!(series[0].samples[1].value, 2500.0);
        assert!(series[0].samples[2].value.is_nan());
    }

    #[test]
    fn a_vector_answer_reads_as_one_sample_series_and_extra_fields_are_ignored() {
        let body = br#"{"status":"success","isPartial":false,"data":{"resultType":"vector","result":[
            {"metric":{},"value":[1796078699.999,"+Inf"]}],"stats":{"seriesFetched":"1"}}}"#;
        let series = parse(body, Expect::Vector).unwrap();
        assert_eq!(series[0].samples.len(), 1);
        assert_eq!(series[0].samples[0].value, f64::INFINITY);
        assert!(parse(br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#, Expect::Vector)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn malformed_answers_are_reasons_not_panics() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "not a Prometheus API answer"),
            (b"<html>502 Bad Gateway</html>", "not a Prometheus API answer"),
            (br#"{"status":"success"}"#, "without data"),
            (br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#, "a vector where a matrix"),
            (br#"{"status":"success","data":{"resultType":"scalar","result":[1,"1"]}}"#, "not a Prometheus API"),
            (br#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{}}]}}"#, "without its samples"),
            (br#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"x"]]}]}}"#, "not a number"),
            (
                br#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[-5,"1"]]}]}}"#,
                "out of range",
            ),
            (
                br#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[["1","1"]]}]}}"#,
                "not a Prometheus",
            ),
            (br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#, "bad_data: parse error"),
        ];
        for (body, reason) in cases {
            let got = parse(body, Expect::Matrix).unwrap_err();
            assert!(got.contains(reason), "{:?}: {got}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn error_answers_give_their_message_shortened() {
        let long = format!(r#"{{"status":"error","errorType":"execution","error":"{}"}}"#, "x".repeat(1000));
        let message = error_message(long.as_bytes()).unwrap();
        assert!(message.starts_with("execution: xxx") && message.chars().count() < 320, "{message}");
        assert_eq!(error_message(b"Unauthorized"), None);
        assert_eq!(error_message(br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#), None);
    }
}
