//! Times in queries: Unix seconds from 0 to 2^34 (2^32 × 4, the year 2514), and windows between
//! two of them computed without overflow, so a limit on a window's span holds for any input.

use super::error::ApiError;

/// The latest time a query may name, in Unix seconds.
pub const MAX_TIME_SECS: i64 = 1 << 34;

fn out_of_range(param: &str) -> ApiError {
    ApiError::InvalidParameter {
        param: param.into(),
        reason: format!("must be a Unix time in seconds between 0 and {MAX_TIME_SECS}"),
    }
}

/// A time given in whole seconds.
pub fn whole_seconds(param: &str, value: i64) -> Result<i64, ApiError> {
    (0..=MAX_TIME_SECS).contains(&value).then_some(value).ok_or_else(|| out_of_range(param))
}

/// A time given in seconds with a fraction: finite, and in range.
pub fn seconds(param: &str, value: f64) -> Result<f64, ApiError> {
    (value.is_finite() && (0.0..=MAX_TIME_SECS as f64).contains(&value))
        .then_some(value)
        .ok_or_else(|| out_of_range(param))
}

/// `[from, to]`, from before to: `to` defaults to `now`, `from` to `to` minus `default_span_secs`
/// (not before 0); the span may not pass `max_span_secs`.
pub fn window(
    from: Option<i64>,
    to: Option<i64>,
    now: i64,
    default_span_secs: i64,
    max_span_secs: Option<i64>,
) -> Result<(i64, i64), ApiError> {
    let to = whole_seconds("to", to.unwrap_or(now))?;
    let from = match from {
        Some(from) => whole_seconds("from", from)?,
        None => to.saturating_sub(default_span_secs).max(0),
    };
    if from >= to {
        return Err(ApiError::InvalidParameter { param: "from".into(), reason: format!("must be before to ({to})") });
    }
    // Both are in [0, 2^34]: the difference cannot overflow.
    if let Some(max) = max_span_secs.filter(|&max| to - from > max) {
        return Err(ApiError::InvalidParameter {
            param: "from".into(),
            reason: format!("the window may span at most {max} seconds"),
        });
    }
    Ok((from, to))
}

/// What a downsampled series query (traffic, latency) asks: its window (the last hour by default)
/// and how many points at most (500 by default, 1 to 10,000).
pub fn series_window(query: &crate::api::views::TrafficQuery, now: i64) -> Result<(i64, i64, u32), ApiError> {
    const DEFAULT_WINDOW_SECS: i64 = 3600;
    const DEFAULT_MAX_POINTS: u32 = 500;
    const MAX_MAX_POINTS: u32 = 10_000;
    let (from, to) = window(query.from, query.to, now, DEFAULT_WINDOW_SECS, None)?;
    let max_points = query.max_points.unwrap_or(DEFAULT_MAX_POINTS);
    if !(1..=MAX_MAX_POINTS).contains(&max_points) {
        return Err(ApiError::InvalidParameter {
            param: "maxPoints".into(),
            reason: format!("must be between 1 and {MAX_MAX_POINTS}"),
        });
    }
    Ok((from, to, max_points))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param_of(result: Result<(i64, i64), ApiError>) -> String {
        match result {
            Err(ApiError::InvalidParameter { param, .. }) => param,
            other => panic!("expected a refusal, got {:?}", other.map_err(|e| e.to_string())),
        }
    }

    #[test]
    fn times_out_of_range_are_refused_naming_the_parameter() {
        let now = 1_764_075_060;
        assert_eq!(param_of(window(Some(i64::MIN), None, now, 3600, Some(604_800))), "from");
        assert_eq!(param_of(window(Some(-100), None, now, 3600, None)), "from");
        assert_eq!(param_of(window(None, Some(i64::MAX), now, 3600, None)), "to");
        assert_eq!(param_of(window(None, Some(MAX_TIME_SECS + 1), now, 3600, None)), "to");
        assert_eq!(param_of(window(Some(0), Some(now), now, 3600, Some(604_800))), "from", "span over 7 days");
        assert_eq!(param_of(window(Some(now), Some(now), now, 3600, None)), "from", "empty window");
        assert!(seconds("from", f64::NAN).is_err());
        assert!(seconds("to", f64::INFINITY).is_err());
        assert!(seconds("from", -0.5).is_err());
    }

    #[test]
    fn windows_in_range_keep_their_bounds() {
        let now = 1_764_075_060;
        assert_eq!(window(None, None, now, 3600, None).unwrap(), (now - 3600, now));
        assert_eq!(window(None, Some(100), now, 3600, None).unwrap(), (0, 100), "defaults start no earlier than 0");
        assert_eq!(window(Some(0), Some(MAX_TIME_SECS), now, 3600, None).unwrap(), (0, MAX_TIME_SECS));
        assert_eq!(seconds("from", 1.5).unwrap(), 1.5);
    }
}
