//! IF-MIB: the interface inventory (names, types, speeds, states) and the traffic counters.

pub use super::if_names::IfNames;
use super::oids::if_mib::*;
use super::system::Probe;
use super::walk::Ahead;
use super::{Column, Session, SnmpError, Value};

/// What an interface is, from ifTable and ifXTable. Changes rarely; walked on first contact,
/// when the table changes, and now and then.
/// Serialized (in `state.json`) with the three names as fields of their own.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(from = "InfoFields", into = "InfoFields")]
pub struct InterfaceInfo {
    pub if_index: u32,
    /// ifName, ifDescr and ifAlias; read with [`InterfaceInfo::if_name`] and its siblings.
    pub names: IfNames,
    pub if_type: i64,
    /// From ifHighSpeed (Mbit/s) where it is set, else ifSpeed; `None` when the agent says 0.
    pub speed_bps: Option<u64>,
    pub admin_status: IfStatus,
    pub oper_status: IfStatus,
}

impl InterfaceInfo {
    pub fn if_name(&self) -> &str {
        self.names.name()
    }

    pub fn if_descr(&self) -> &str {
        self.names.descr()
    }

    pub fn if_alias(&self) -> &str {
        self.names.alias()
    }

    /// ifName, or ifDescr when the agent has no ifName.
    pub fn display_name(&self) -> &str {
        if self.if_name().is_empty() {
            self.if_descr()
        } else {
            self.if_name()
        }
    }

    pub fn set_if_name(&mut self, name: &str) {
        self.names = IfNames::new(name, self.if_descr(), self.if_alias());
    }

    pub fn set_if_descr(&mut self, descr: &str) {
        self.names = IfNames::new(self.if_name(), descr, self.if_alias());
    }

    pub fn set_if_alias(&mut self, alias: &str) {
        self.names = IfNames::new(self.if_name(), self.if_descr(), alias);
    }
}

/// [`InterfaceInfo`] as `state.json` has it.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct InfoFields {
    if_index: u32,
    if_name: String,
    if_descr: String,
    if_alias: String,
    if_type: i64,
    speed_bps: Option<u64>,
    admin_status: IfStatus,
    oper_status: IfStatus,
}

impl From<InfoFields> for InterfaceInfo {
    fn from(f: InfoFields) -> InterfaceInfo {
        InterfaceInfo {
            if_index: f.if_index,
            names: IfNames::new(&f.if_name, &f.if_descr, &f.if_alias),
            if_type: f.if_type,
            speed_bps: f.speed_bps,
            admin_status: f.admin_status,
            oper_status: f.oper_status,
        }
    }
}

impl From<InterfaceInfo> for InfoFields {
    fn from(i: InterfaceInfo) -> InfoFields {
        InfoFields {
            if_index: i.if_index,
            if_name: i.if_name().to_string(),
            if_descr: i.if_descr().to_string(),
            if_alias: i.if_alias().to_string(),
            if_type: i.if_type,
            speed_bps: i.speed_bps,
            admin_status: i.admin_status,
            oper_status: i.oper_status,
        }
    }
}

#[cfg(test)]
impl InterfaceInfo {
    /// For tests: an Ethernet interface that is up, named and described `eth<ifIndex>`, of
    /// unknown speed.
    pub(crate) fn ethernet(if_index: u32) -> InterfaceInfo {
        let name = format!("eth{if_index}");
        InterfaceInfo {
            if_index,
            names: IfNames::new(&name, &name, ""),
            if_type: 6,
            speed_bps: None,
            admin_status: IfStatus::Up,
            oper_status: IfStatus::Up,
        }
    }
}

/// ifAdminStatus / ifOperStatus, RFC 2863.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IfStatus {
    Up,
    Down,
    Testing,
    Unknown,
    Dormant,
    NotPresent,
    LowerLayerDown,
}

impl IfStatus {
    pub fn from_code(code: i64) -> IfStatus {
        match code {
            1 => IfStatus::Up,
            2 => IfStatus::Down,
            3 => IfStatus::Testing,
            5 => IfStatus::Dormant,
            6 => IfStatus::NotPresent,
            7 => IfStatus::LowerLayerDown,
            _ => IfStatus::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IfStatus::Up => "up",
            IfStatus::Down => "down",
            IfStatus::Testing => "testing",
            IfStatus::Unknown => "unknown",
            IfStatus::Dormant => "dormant",
            IfStatus::NotPresent => "notPresent",
            IfStatus::LowerLayerDown => "lowerLayerDown",
        }
    }
}

/// Width of an octet counter: 64-bit ifHC*Octets, or the 32-bit ifIn/OutOctets fallback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterBits {
    Bits32,
    Bits64,
}

impl CounterBits {
    pub fn modulus(self) -> u128 {
        match self {
            CounterBits::Bits32 => 1u128 << 32,
            CounterBits::Bits64 => 1u128 << 64,
        }
    }

    pub fn as_number(self) -> u8 {
        match self {
            CounterBits::Bits32 => 32,
            CounterBits::Bits64 => 64,
        }
    }
}

/// One interface's counters at one poll.
#[derive(Clone, Debug, PartialEq)]
pub struct CounterRow {
    pub if_index: u32,
    pub in_octets: u64,
    pub out_octets: u64,
    pub bits: CounterBits,
    pub in_errors: Option<u32>,
    pub out_errors: Option<u32>,
    pub in_discards: Option<u32>,
    pub out_discards: Option<u32>,
    pub oper_status: Option<IfStatus>,
}

impl CounterRow {
    /// The octet counters alone (no error, discard or status column).
    pub fn octets(if_index: u32, in_octets: u64, out_octets: u64, bits: CounterBits) -> CounterRow {
        CounterRow {
            if_index,
            in_octets,
            out_octets,
            bits,
            in_errors: None,
            out_errors: None,
            in_discards: None,
            out_discards: None,
            oper_status: None,
        }
    }
}

/// The columns walked on every poll, in this order.
pub const COUNTER_COLUMNS: [&[u32]; 7] =
    [IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_OPER_STATUS, IF_IN_ERRORS, IF_OUT_ERRORS, IF_IN_DISCARDS, IF_OUT_DISCARDS];

/// Walks ifTable and ifXTable for the inventory.
pub async fn walk_inventory(session: &mut Session, if_number: Option<u32>) -> Result<Vec<InterfaceInfo>, SnmpError> {
    let columns = [IF_DESCR, IF_TYPE, IF_SPEED, IF_ADMIN_STATUS, IF_OPER_STATUS, IF_NAME, IF_HIGH_SPEED, IF_ALIAS];
    let [descr, kind, speed, admin, oper, name, high_speed, alias]: [Column; 8] =
        session.walk_columns(&columns, if_number).await?.try_into().expect("one column per OID");
    let text = |column: &Column, i: u32| column.get(i).map(Value::as_text).unwrap_or_default();
    let number = |column: &Column, i: u32| column.get(i).and_then(Value::as_i64);
    Ok(descr
        .indexes()
        .chain(name.indexes())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|i| {
            let high_speed_bps =
                number(&high_speed, i).filter(|&mbps| mbps > 0).map(|mbps| (mbps as u64).saturating_mul(1_000_000));
            let speed_bps = number(&speed, i).filter(|&bps| bps > 0).map(|bps| bps as u64);
            InterfaceInfo {
                if_index: i,
                names: IfNames::new(&text(&name, i), &text(&descr, i), &text(&alias, i)),
                if_type: number(&kind, i).unwrap_or(1),
                speed_bps: high_speed_bps.or(speed_bps),
                admin_status: IfStatus::from_code(number(&admin, i).unwrap_or(4)),
                oper_status: IfStatus::from_code(number(&oper, i).unwrap_or(4)),
            }
        })
        .collect())
}

/// The counter columns walked: [`COUNTER_COLUMNS`], then the 32-bit octets when wanted.
const COUNTER_AND_32BIT_COLUMNS: [&[u32]; 9] = {
    let mut all: [&[u32]; 9] = [IF_IN_OCTETS; 9];
    let mut at = 0;
    while at < COUNTER_COLUMNS.len() {
        all[at] = COUNTER_COLUMNS[at];
        at += 1;
    }
    all[8] = IF_OUT_OCTETS;
    all
};

fn counter_columns(want_32bit: bool) -> &'static [&'static [u32]] {
    match want_32bit {
        true => &COUNTER_AND_32BIT_COLUMNS,
        false => &COUNTER_COLUMNS,
    }
}

/// Walks the traffic counters: 64-bit where the agent has them, else 32-bit (asked for only when
/// `want_32bit`, i.e. when some interface lacked the 64-bit columns last time).
pub async fn walk_counters(
    session: &mut Session,
    want_32bit: bool,
    if_number: Option<u32>,
) -> Result<Vec<CounterRow>, SnmpError> {
    let walked = session.walk_columns_kept(&[], counter_columns(want_32bit), if_number).await?;
    Ok(counter_rows(walked.columns()))
}

/// [`walk_counters`] with the [`Probe`] in the same first request: one round trip fewer.
pub async fn walk_counters_and_probe(
    session: &mut Session,
    want_32bit: bool,
    if_number: Option<u32>,
) -> Result<(Probe, Vec<CounterRow>), SnmpError> {
    let walked = session.walk_columns_kept(&Probe::OIDS, counter_columns(want_32bit), if_number).await?;
    Ok((Probe::from_values(session.target(), walked.scalars())?, counter_rows(walked.columns())))
}

/// One row per interface with its octets (64-bit, or 32-bit where the 64-bit are missing) from
/// the columns of [`counter_columns`], in ifIndex order.
fn counter_rows(columns: &[Column]) -> Vec<CounterRow> {
    aligned_counter_rows(columns).unwrap_or_else(|| counter_rows_by_index(columns))
}

/// [`counter_rows`] in the usual case, read by place: no 32-bit column, and every column with
/// the same rows in the same places (checked row by row); `None` otherwise.
fn aligned_counter_rows(columns: &[Column]) -> Option<Vec<CounterRow>> {
    let [hc_in, hc_out, oper, in_err, out_err, in_disc, out_disc] = columns else { return None };
    let n = hc_in.len();
    if [hc_out, oper, in_err, out_err, in_disc, out_disc].iter().any(|column| column.len() != n) {
        return None;
    }
    let mut rows = Vec::with_capacity(n);
    for (k, (if_index, in_octets)) in hc_in.0.iter().enumerate() {
        let [out_octets, oper, in_err, out_err, in_disc, out_disc] = [hc_out, oper, in_err, out_err, in_disc, out_disc]
            .map(|column| match &column.0[k] {
                (index, value) if index == if_index => Some(value),
                _ => None,
            });
        let small = |value: &Value| value.as_u64().map(|v| v as u32);
        let row = CounterRow {
            if_index: *if_index,
            in_octets: 0,
            out_octets: 0,
            bits: CounterBits::Bits64,
            in_errors: small(in_err?),
            out_errors: small(out_err?),
            in_discards: small(in_disc?),
            out_discards: small(out_disc?),
            oper_status: oper?.as_i64().map(IfStatus::from_code),
        };
        if let Some((in_octets, out_octets)) = in_octets.as_u64().zip(out_octets?.as_u64()) {
            rows.push(CounterRow { in_octets, out_octets, ..row });
        }
    }
    Some(rows)
}

/// [`counter_rows`] in any case, by ifIndex. The columns are in ifIndex order: each is read
/// front to back once.
fn counter_rows_by_index(columns: &[Column]) -> Vec<CounterRow> {
    let none = Column::default();
    let [hc_in, hc_out, oper, in_err, out_err, in_disc, out_disc] = &columns[..7] else { unreachable!("7 columns") };
    let (in32, out32) = match &columns[7..] {
        [in32, out32] => (in32, out32),
        _ => (&none, &none),
    };
    let [mut hc_in_at, mut hc_out_at, mut in32_at, mut out32_at] = [hc_in, hc_out, in32, out32].map(Column::ahead);
    let [mut oper_at, mut in_err_at, mut out_err_at, mut in_disc_at, mut out_disc_at] =
        [oper, in_err, out_err, in_disc, out_disc].map(Column::ahead);
    let small = |at: &mut Ahead<'_>, i: u32| at.get(i).and_then(Value::as_u64).map(|v| v as u32);
    let mut rows = Vec::with_capacity(hc_in.len().max(in32.len()));
    for i in Column::union_indexes(hc_in, in32) {
        let hc = hc_in_at.get(i).and_then(Value::as_u64).zip(hc_out_at.get(i).and_then(Value::as_u64));
        let (in_octets, out_octets, bits) = match hc {
            Some((a, b)) => (a, b, CounterBits::Bits64),
            None => match in32_at.get(i).and_then(Value::as_u64).zip(out32_at.get(i).and_then(Value::as_u64)) {
                Some((a, b)) => (a, b, CounterBits::Bits32),
                None => continue,
            },
        };
        rows.push(CounterRow {
            if_index: i,
            in_octets,
            out_octets,
            bits,
            in_errors: small(&mut in_err_at, i),
            out_errors: small(&mut out_err_at, i),
            in_discards: small(&mut in_disc_at, i),
            out_discards: small(&mut out_disc_at, i),
            oper_status: oper_at.get(i).and_then(Value::as_i64).map(IfStatus::from_code),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counter columns read by place give the rows read by index; columns that are not
    /// aligned are read by index.
    #[test]
    fn counter_rows_by_place_are_those_by_index() {
        let column = |rows: &[u32], value: fn(u32) -> Value| Column(rows.iter().map(|&i| (i, value(i))).collect());
        let octets = |rows: &[u32]| column(rows, |i| Value::Counter64(u64::from(i) << 33));
        let small = |rows: &[u32]| column(rows, Value::Counter32);
        let all = [1, 2, 5, 130];
        let aligned =
            vec![octets(&all), octets(&all), column(&all, |i| Value::Integer(i as i32 % 3)), small(&all), small(&all)];
        let mut with_text = aligned.clone();
        with_text[1].0[2].1 = Value::Bytes(b"x".to_vec());
        let mut shifted = aligned.clone();
        shifted[3] = small(&[1, 2, 6, 130]);
        let mut short = aligned.clone();
        short[4] = small(&[1, 2, 5]);
        for (case, columns) in [aligned, with_text, shifted, short].into_iter().enumerate() {
            let mut columns = columns;
            columns.extend([small(&all), small(&all)]);
            let by_index = counter_rows_by_index(&columns);
            assert_eq!(counter_rows(&columns), by_index, "case {case}");
            assert_eq!(aligned_counter_rows(&columns).is_some(), case < 2, "case {case}");
            columns.extend([small(&[3]), small(&[3])]);
            assert_eq!(aligned_counter_rows(&columns), None, "32-bit columns: case {case}");
            assert_eq!(counter_rows(&columns), counter_rows_by_index(&columns), "case {case}");
        }
    }

    /// `state.json` keeps the three names as fields of their own, in the order they always had.
    #[test]
    fn an_inventory_entry_is_written_and_read_as_before() {
        let mut info = InterfaceInfo { speed_bps: Some(1_000_000_000), ..InterfaceInfo::ethernet(3) };
        info.set_if_alias("to \"core\"");
        let text = serde_json::to_string(&info).unwrap();
        assert_eq!(
            text,
            r#"{"ifIndex":3,"ifName":"eth3","ifDescr":"eth3","ifAlias":"to \"core\"","ifType":6,"speedBps":1000000000,"adminStatus":"up","operStatus":"up"}"#
        );
        assert_eq!(serde_json::from_str::<InterfaceInfo>(&text).unwrap(), info);
        info.set_if_descr("GigabitEthernet3");
        assert_eq!((info.if_name(), info.if_descr(), info.display_name()), ("eth3", "GigabitEthernet3", "eth3"));
        info.set_if_name("");
        assert_eq!((info.if_alias(), info.display_name()), ("to \"core\"", "GigabitEthernet3"));
    }
}
