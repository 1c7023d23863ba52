//! Stricter JSON shapes than serde's defaults, so the server accepts exactly what the OpenAPI
//! document allows: an object only as an object (serde also takes a struct from an array), and a
//! whole number also when written with a zero fraction (JSON Schema counts `195.0` as an integer).

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

struct ObjectOnly<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map))
    }
}

/// A struct from a JSON object only.
pub fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_map(ObjectOnly(PhantomData))
}

/// A whole request body that must be a JSON object.
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        object(deserializer).map(Object)
    }
}

/// An optional struct from a JSON object only (or null).
pub fn optional_object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    struct OptionalObject<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for OptionalObject<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object or null")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
            object(deserializer).map(Some)
        }
    }
    deserializer.deserialize_option(OptionalObject(PhantomData))
}

/// A count or a port, also when written with a zero fraction.
pub fn whole_number<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let whole = number.as_u64().or_else(|| {
        let f = number.as_f64()?;
        (f.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&f)).then_some(f as u64)
    });
    let invalid = || D::Error::custom(format!("{number} is not an integer in range"));
    T::try_from(whole.ok_or_else(invalid)?).map(Some).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        a: Option<u32>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        #[serde(deserialize_with = "object")]
        inner: Inner,
        #[serde(default, deserialize_with = "optional_object")]
        maybe: Option<Inner>,
        #[serde(default, deserialize_with = "whole_number")]
        port: Option<u16>,
    }

    #[test]
    fn objects_only_as_objects_and_whole_numbers_with_a_zero_fraction() {
        let ok: Outer = serde_json::from_str(r#"{"inner": {"a": 1}, "maybe": null, "port": 195.0}"#).unwrap();
        assert_eq!(ok, Outer { inner: Inner { a: Some(1) }, maybe: None, port: Some(195) });
        assert!(serde_json::from_str::<Outer>(r#"{"inner": [1]}"#).is_err());
        assert!(serde_json::from_str::<Outer>(r#"{"inner": {}, "maybe": [null]}"#).is_err());
        assert!(serde_json::from_str::<Outer>(r#"{"inner": {}, "port": 1.5}"#).is_err());
        assert!(serde_json::from_str::<Outer>(r#"{"inner": {}, "port": 70000}"#).is_err());
        assert!(serde_json::from_str::<Outer>(r#"{"inner": {}, "port": -1}"#).is_err());
    }
}
