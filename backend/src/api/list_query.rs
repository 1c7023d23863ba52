//! Filtering, ordering and paging of the list endpoints (`/fleet/devices`,
//! `/devices/{id}/interface-page`), done in memory on each row's keys (`page_keys`): parse the
//! parameters, keep what matches, count, sort, cut one window. The routes build views only for
//! the rows of that window.

use std::cmp::Ordering;

use crate::api::error::ApiError;
use crate::api::page_keys::{DeviceKeys, InterfaceKeys};
use crate::api::views::{
    DevicePageQuery, DeviceSort, InterfacePageQuery, InterfaceSort, OperCounts, OperFilter, SortOrder, StateCounts,
    StateView,
};

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;
/// A search longer than this is refused (nothing that long matches anyway).
const MAX_Q_CHARS: usize = 200;

/// One window of a filtered, sorted list, with the counts the page shows.
#[derive(Debug)]
pub struct Selected<T, C> {
    pub total: usize,
    pub counts: C,
    pub offset: usize,
    pub limit: usize,
    pub items: Vec<T>,
}

fn bad(param: &str, reason: impl Into<String>) -> ApiError {
    ApiError::InvalidParameter { param: param.into(), reason: reason.into() }
}

/// The largest offset a page may start at (the document's `maximum`: a JSON Schema integer bound
/// every client can represent).
pub const MAX_OFFSET: usize = i32::MAX as usize;

/// The offset and limit asked for, checked.
pub fn window(offset: Option<usize>, limit: Option<usize>) -> Result<(usize, usize), ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    let offset = offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(bad("offset", format!("must be at most {MAX_OFFSET}")));
    }
    Ok((offset, limit))
}

/// The search text lowercased, None when empty.
fn search(q: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else { return Ok(None) };
    if q.chars().count() > MAX_Q_CHARS {
        return Err(bad("q", format!("must be at most {MAX_Q_CHARS} characters")));
    }
    Ok(Some(q.to_lowercase()))
}

fn contains(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(needle)
}

/// `state=unreachable,snmp_down` as states; None when absent.
fn states(text: Option<&str>) -> Result<Option<Vec<StateView>>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    let mut wanted = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let state = StateView::ALL.into_iter().find(|s| state_name(*s) == name);
        wanted.push(state.ok_or_else(|| bad("state", format!("'{name}' is not one of {STATE_NAMES}")))?);
    }
    if wanted.is_empty() {
        return Err(bad("state", format!("must name at least one of {STATE_NAMES}")));
    }
    Ok(Some(wanted))
}

const STATE_NAMES: &str = "up, snmp_down, unreachable, unknown";

fn state_name(state: StateView) -> &'static str {
    match state {
        StateView::Up => "up",
        StateView::SnmpDown => "snmp_down",
        StateView::Unreachable => "unreachable",
        StateView::Unknown => "unknown",
    }
}

/// Problems first: unreachable, snmp_down, unknown, up.
fn severity(state: StateView) -> u8 {
    match state {
        StateView::Unreachable => 0,
        StateView::SnmpDown => 1,
        StateView::Unknown => 2,
        StateView::Up => 3,
    }
}

/// Numbers ascending with unknown values last.
fn by_number(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// `ordering` in the direction asked for, unknown values last either way.
fn directed(order: SortOrder, ordering: Ordering, a_known: bool, b_known: bool) -> Ordering {
    if a_known != b_known {
        return if a_known { Ordering::Less } else { Ordering::Greater };
    }
    match order {
        SortOrder::Asc => ordering,
        SortOrder::Desc => ordering.reverse(),
    }
}

fn cut<T>(items: Vec<T>, offset: usize, limit: usize) -> Vec<T> {
    items.into_iter().skip(offset).take(limit).collect()
}

/// Whether the order `query` asks for needs each device's availability (read apart: it may need the disk).
pub fn sorts_by_availability(query: &DevicePageQuery) -> bool {
    query.sort == Some(DeviceSort::Availability)
}

/// The device page `query` asks for, from every device's keys (ordered by id).
pub fn select_devices(
    keys: Vec<DeviceKeys>,
    query: &DevicePageQuery,
) -> Result<Selected<DeviceKeys, StateCounts>, ApiError> {
    let (offset, limit) = window(query.offset, query.limit)?;
    let q = search(query.q.as_deref())?;
    let wanted = states(query.state.as_deref())?;
    let mut counts = StateCounts::default();
    let mut kept: Vec<DeviceKeys> = keys
        .into_iter()
        .filter(|d| query.tag.as_ref().is_none_or(|t| d.tags.contains(t)))
        .filter(|d| {
            q.as_ref()
                .is_none_or(|q| contains(&d.name, q) || contains(&d.host, q) || d.tags.iter().any(|t| contains(t, q)))
        })
        .inspect(|d| count_state(&mut counts, d.state))
        .filter(|d| wanted.as_ref().is_none_or(|w| w.contains(&d.state)))
        .collect();
    let (sort, order) = (query.sort.unwrap_or_default(), query.order.unwrap_or_default());
    kept.sort_by(|a, b| {
        let (ordering, a_known, b_known) = match sort {
            DeviceSort::Problems => (severity(a.state).cmp(&severity(b.state)), true, true),
            DeviceSort::Name => (Ordering::Equal, true, true),
            DeviceSort::Host => (a.host.cmp(&b.host), true, true),
            DeviceSort::State => (state_name(a.state).cmp(state_name(b.state)), true, true),
            DeviceSort::Since => (a.since.cmp(&b.since), a.since.is_some(), b.since.is_some()),
            DeviceSort::Availability => numbers(a.availability_day, b.availability_day),
            DeviceSort::InBps => numbers(a.in_bps, b.in_bps),
            DeviceSort::OutBps => numbers(a.out_bps, b.out_bps),
            DeviceSort::Interfaces => (a.interface_count.cmp(&b.interface_count), true, true),
        };
        let by_name = a.name_lower.cmp(&b.name_lower).then_with(|| a.id.0.cmp(&b.id.0));
        directed(order, ordering.then(by_name), a_known, b_known)
    });
    let total = kept.len();
    Ok(Selected { total, counts, offset, limit, items: cut(kept, offset, limit) })
}

fn numbers(a: Option<f64>, b: Option<f64>) -> (Ordering, bool, bool) {
    (by_number(a, b), a.is_some(), b.is_some())
}

fn count_state(counts: &mut StateCounts, state: StateView) {
    match state {
        StateView::Up => counts.up += 1,
        StateView::SnmpDown => counts.snmp_down += 1,
        StateView::Unreachable => counts.unreachable += 1,
        StateView::Unknown => counts.unknown += 1,
    }
}

/// Devices per state.
pub fn state_counts(states: impl Iterator<Item = StateView>) -> StateCounts {
    let mut counts = StateCounts::default();
    states.for_each(|s| count_state(&mut counts, s));
    counts
}

/// The interface page `query` asks for, from every interface's keys (ordered by ifIndex).
pub fn select_interfaces<'a>(
    keys: Vec<InterfaceKeys<'a>>,
    query: &InterfacePageQuery,
) -> Result<Selected<InterfaceKeys<'a>, OperCounts>, ApiError> {
    let (offset, limit) = window(query.offset, query.limit)?;
    let q = search(query.q.as_deref())?;
    let mut counts = OperCounts::default();
    let mut kept: Vec<InterfaceKeys> = keys
        .into_iter()
        .filter(|i| q.as_ref().is_none_or(|q| i.texts().iter().any(|t| contains(t, q))))
        .inspect(|i| match i.oper {
            OperFilter::Up => counts.up += 1,
            OperFilter::Down => counts.down += 1,
            OperFilter::Other => counts.other += 1,
        })
        .filter(|i| query.oper.is_none_or(|o| i.oper == o))
        .collect();
    let (sort, order) = (query.sort.unwrap_or_default(), query.order.unwrap_or_default());
    // Down first when sorting by oper status: what needs attention.
    let oper_rank = |i: &InterfaceKeys| match i.oper {
        OperFilter::Down => 0,
        OperFilter::Other => 1,
        OperFilter::Up => 2,
    };
    kept.sort_by(|a, b| {
        let (ordering, a_known, b_known) = match sort {
            InterfaceSort::IfIndex => (Ordering::Equal, true, true),
            InterfaceSort::Name => (natural(&a.name_lower, &b.name_lower), true, true),
            InterfaceSort::OperStatus => (oper_rank(a).cmp(&oper_rank(b)), true, true),
            InterfaceSort::InBps => numbers(a.in_bps, b.in_bps),
            InterfaceSort::OutBps => numbers(a.out_bps, b.out_bps),
            InterfaceSort::Utilization => numbers(a.utilization, b.utilization),
            InterfaceSort::Speed => {
                let (sa, sb) = (a.live.info.speed_bps, b.live.info.speed_bps);
                (sa.cmp(&sb), sa.is_some(), sb.is_some())
            }
        };
        directed(order, ordering.then(a.if_index().cmp(&b.if_index())), a_known, b_known)
    });
    let total = kept.len();
    Ok(Selected { total, counts, offset, limit, items: cut(kept, offset, limit) })
}

/// Names compared with their digit runs as numbers: `ge-0/0/2` before `ge-0/0/10`.
fn natural(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        match (a.chars().next(), b.chars().next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (da, ra) = split_digits(a);
                let (db, rb) = split_digits(b);
                let (ta, tb) = (da.trim_start_matches('0'), db.trim_start_matches('0'));
                let ordering = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if ordering != Ordering::Equal {
                    return ordering;
                }
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                (a, b) = (&a[x.len_utf8()..], &b[y.len_utf8()..]);
            }
        }
    }
}

fn split_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{Device, DeviceConfig, DeviceId, DeviceState};
    use crate::snmp::if_mib::{IfNames, IfStatus, InterfaceInfo};
    use crate::store::{DeviceLive, InterfaceLive};

    fn device(n: u32, name: &str, state: DeviceState, tags: &[&str]) -> DeviceKeys {
        let config = DeviceConfig {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..DeviceConfig::v2c(name, &format!("192.0.2.{n}"), 161, "public")
        };
        let device = Device { id: DeviceId(format!("{n:08x}")), created_at: 0, config };
        let mut live = DeviceLive::new();
        live.status.state = state;
        live.status.since = Some(i64::from(n));
        DeviceKeys::new(&device, &live)
    }

    fn fleet() -> Vec<DeviceKeys> {
        use DeviceState::*;
        vec![
            device(1, "edge-b", Up, &["paris"]),
            device(2, "core-sw01", Unreachable, &["core"]),
            device(3, "Edge-a", SnmpDown, &[]),
            device(4, "core-sw02", Up, &["core", "paris"]),
            device(5, "lab", Unknown, &[]),
            device(6, "acc-1", Unreachable, &[]),
        ]
    }

    fn names<C>(s: &Selected<DeviceKeys, C>) -> Vec<&str> {
        s.items.iter().map(|d| d.name.as_str()).collect()
    }

    fn query(f: impl FnOnce(&mut DevicePageQuery)) -> DevicePageQuery {
        let mut q = DevicePageQuery::default();
        f(&mut q);
        q
    }

    #[test]
    fn problems_come_first_then_names_and_pages_cut_the_same_order() {
        let all = select_devices(fleet(), &DevicePageQuery::default()).unwrap();
        assert_eq!(names(&all), ["acc-1", "core-sw01", "Edge-a", "lab", "core-sw02", "edge-b"]);
        assert_eq!((all.total, all.offset, all.limit), (6, 0, DEFAULT_LIMIT));
        let mut paged = Vec::new();
        for offset in (0..6).step_by(4) {
            let page = select_devices(fleet(), &query(|q| (q.offset, q.limit) = (Some(offset), Some(4)))).unwrap();
            assert_eq!(page.total, 6, "the total is the whole match, not the page");
            paged.extend(names(&page).into_iter().map(String::from));
        }
        assert_eq!(paged, names(&all));
        let past = select_devices(fleet(), &query(|q| q.offset = Some(99))).unwrap();
        assert!(past.items.is_empty());
        let by_name =
            select_devices(fleet(), &query(|q| (q.sort, q.order) = (Some(DeviceSort::Name), Some(SortOrder::Desc))));
        assert_eq!(names(&by_name.unwrap()), ["lab", "edge-b", "Edge-a", "core-sw02", "core-sw01", "acc-1"]);
        let since = select_devices(fleet(), &query(|q| q.sort = Some(DeviceSort::Since))).unwrap();
        assert_eq!(names(&since)[0], "edge-b");
    }

    #[test]
    fn availability_is_read_only_for_its_own_order_and_unknown_sorts_last() {
        let by = |sort| query(|q| q.sort = Some(sort));
        assert!(sorts_by_availability(&by(DeviceSort::Availability)));
        assert!(!sorts_by_availability(&by(DeviceSort::Name)) && !sorts_by_availability(&DevicePageQuery::default()));
        let mut keys = fleet();
        for (k, day) in keys.iter_mut().zip([Some(50.0), None, Some(99.5), Some(10.0), None, Some(99.5)]) {
            k.availability_day = day;
        }
        let q = query(|q| (q.sort, q.order) = (Some(DeviceSort::Availability), Some(SortOrder::Desc)));
        let best = select_devices(keys, &q).unwrap();
        assert_eq!(names(&best), ["Edge-a", "acc-1", "edge-b", "core-sw02", "lab", "core-sw01"]);
    }

    #[test]
    fn filters_narrow_the_total_and_counts_leave_the_state_filter_out() {
        let q = query(|q| q.q = Some("CORE".into()));
        let core = select_devices(fleet(), &q).unwrap();
        assert_eq!(names(&core), ["core-sw01", "core-sw02"], "name or tag, any case");
        let host = select_devices(fleet(), &query(|q| q.q = Some("192.0.2.5".into()))).unwrap();
        assert_eq!(names(&host), ["lab"]);
        let q = query(|q| (q.state, q.tag) = (Some("unreachable, snmp_down".into()), None));
        let down = select_devices(fleet(), &q).unwrap();
        assert_eq!(names(&down), ["acc-1", "core-sw01", "Edge-a"]);
        assert_eq!(down.total, 3);
        assert_eq!(down.counts, StateCounts { up: 2, snmp_down: 1, unreachable: 2, unknown: 1 });
        let paris = select_devices(fleet(), &query(|q| q.tag = Some("paris".into()))).unwrap();
        assert_eq!(paris.counts, StateCounts { up: 2, ..StateCounts::default() });
        assert_eq!(names(&paris), ["core-sw02", "edge-b"]);
        for bad in [
            query(|q| q.limit = Some(0)),
            query(|q| q.limit = Some(1001)),
            query(|q| q.state = Some("down".into())),
            query(|q| q.state = Some(",".into())),
            query(|q| q.q = Some("x".repeat(201))),
        ] {
            assert!(matches!(select_devices(fleet(), &bad), Err(ApiError::InvalidParameter { .. })), "{bad:?}");
        }
    }

    fn interface(if_index: u32, name: &str, oper: IfStatus, in_bps: Option<f64>) -> InterfaceLive {
        let info = InterfaceInfo {
            if_index,
            names: IfNames::new(name, &format!("descr {name}"), if if_index == 3 { "uplink" } else { "" }),
            if_type: 6,
            speed_bps: Some(1_000_000_000),
            admin_status: IfStatus::Up,
            oper_status: oper,
        };
        let latest = in_bps.map(|bps| crate::store::LatestSample {
            at_ms: 0,
            uptime_ticks: 0,
            reading: crate::store::InterfaceReading::traffic(
                crate::snmp::if_mib::CounterRow {
                    if_index,
                    in_octets: 0,
                    out_octets: 0,
                    bits: crate::snmp::if_mib::CounterBits::Bits64,
                    in_errors: None,
                    out_errors: None,
                    in_discards: None,
                    out_discards: None,
                    oper_status: None,
                },
                Some(bps),
                Some(0.0),
            ),
        });
        InterfaceLive { info, latest }
    }

    #[test]
    fn offsets_stop_at_the_documented_maximum() {
        assert_eq!(window(Some(MAX_OFFSET), None).unwrap(), (MAX_OFFSET, DEFAULT_LIMIT));
        let refused = window(Some(MAX_OFFSET + 1), None).unwrap_err();
        assert!(matches!(refused, ApiError::InvalidParameter { ref param, .. } if param == "offset"), "{refused:?}");
    }

    #[test]
    fn interfaces_sort_naturally_filter_and_count() {
        let table = || {
            vec![
                interface(1, "ge-0/0/10", IfStatus::Up, Some(5.0)),
                interface(2, "ge-0/0/2", IfStatus::Down, None),
                interface(3, "ge-0/0/1", IfStatus::Up, Some(9.0)),
                interface(4, "lo0", IfStatus::Unknown, Some(1.0)),
            ]
        };
        let table = table();
        let keys = || table.iter().map(InterfaceKeys::new).collect::<Vec<_>>();
        let order = |q: InterfacePageQuery| -> Vec<u32> {
            select_interfaces(keys(), &q).unwrap().items.iter().map(InterfaceKeys::if_index).collect()
        };
        let sorted = |sort, order| InterfacePageQuery { sort: Some(sort), order: Some(order), ..Default::default() };
        assert_eq!(order(InterfacePageQuery::default()), [1, 2, 3, 4]);
        assert_eq!(order(sorted(InterfaceSort::Name, SortOrder::Asc)), [3, 2, 1, 4], "ge-0/0/2 before ge-0/0/10");
        assert_eq!(order(sorted(InterfaceSort::OperStatus, SortOrder::Asc)), [2, 4, 1, 3], "down first");
        assert_eq!(order(sorted(InterfaceSort::InBps, SortOrder::Desc)), [3, 1, 4, 2], "unknown rates last");
        assert_eq!(order(sorted(InterfaceSort::InBps, SortOrder::Asc)), [4, 1, 3, 2], "unknown rates last");
        let uplink = select_interfaces(keys(), &InterfacePageQuery { q: Some("UPLINK".into()), ..Default::default() });
        assert_eq!(uplink.unwrap().items[0].if_index(), 3, "the alias matches");
        let q = InterfacePageQuery {
            q: Some("ge-".into()),
            oper: Some(OperFilter::Up),
            limit: Some(1),
            offset: Some(1),
            ..Default::default()
        };
        let up = select_interfaces(keys(), &q).unwrap();
        assert_eq!((up.total, up.counts), (2, OperCounts { up: 2, down: 1, other: 0 }));
        assert_eq!(up.items.iter().map(InterfaceKeys::if_index).collect::<Vec<_>>(), [3]);
    }
}
