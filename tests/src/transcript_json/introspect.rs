//! The field and variant names serde derives, and the keys of a JSON
//! object in the order they appear.

use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// A deserializer that only records what a `Deserialize` impl asks for.
#[derive(Default)]
struct Introspect {
    fields: &'static [&'static str],
    variants: &'static [&'static str],
}

#[derive(Debug)]
struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("introspection only")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Stop {
        Stop
    }
}

impl<'de> Deserializer<'de> for &mut Introspect {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.fields = fields;
        Err(Stop)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.variants = variants;
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map identifier ignored_any
    }
}

/// The keys of struct `T`, as serde names them, in declaration order.
pub fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut i = Introspect::default();
    let _ = T::deserialize(&mut i);
    i.fields
}

/// The values of enum `T`, as serde names them, in declaration order.
pub fn variants_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut i = Introspect::default();
    let _ = T::deserialize(&mut i);
    i.variants
}

/// The top-level keys of a JSON object, in the order they appear.
pub(super) struct Keys(pub Vec<String>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Keys;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(k);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(V)
    }
}

/// A JSON object held as its text, keys in the order they appeared: an
/// event inside a `pair` line, to be checked as a line of its own. (Values
/// are re-serialised one by one, so the keys keep their order without
/// serde_json's `preserve_order`.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectText(pub String);

impl<'de> Deserialize<'de> for ObjectText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ObjectText, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ObjectText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ObjectText, A::Error> {
                let mut out = String::from("{");
                while let Some(k) = map.next_key::<String>()? {
                    let v = map.next_value::<serde_json::Value>()?;
                    if out.len() > 1 {
                        out.push(',');
                    }
                    let k = serde_json::to_string(&k).map_err(de::Error::custom)?;
                    let v = serde_json::to_string(&v).map_err(de::Error::custom)?;
                    out.push_str(&k);
                    out.push(':');
                    out.push_str(&v);
                }
                out.push('}');
                Ok(ObjectText(out))
            }
        }
        d.deserialize_map(V)
    }
}
