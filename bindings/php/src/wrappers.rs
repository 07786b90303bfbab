//! Value wrapper classes: what a PHP value cannot say on its own (bytes that happen to be
//! valid UTF-8, integers beyond `PHP_INT_MAX`, naive datetimes, dates, times, UUIDs, sets,
//! maps whose keys are not strings or ints or whose order must survive).

use ext_php_rs::prelude::*;
use ext_php_rs::types::Zval;

/// A byte string (`Value::Bytes`) even when it is valid UTF-8.
#[php_class]
#[php(name = "Cachekit\\Bytes")]
pub struct Bytes {
    /// The bytes.
    pub data: Vec<u8>,
}

#[php_impl]
impl Bytes {
    /// Wraps `$data`.
    pub fn __construct(data: ext_php_rs::binary_slice::BinarySlice<u8>) -> Bytes {
        Bytes { data: data.to_vec() }
    }
    /// The bytes, as a PHP string.
    #[php(getter)]
    pub fn data(&self) -> ext_php_rs::binary::Binary<u8> {
        self.data.clone().into()
    }
    /// The bytes, as a PHP string.
    #[php(name = "__toString")]
    pub fn to_string_(&self) -> ext_php_rs::binary::Binary<u8> {
        self.data.clone().into()
    }
}

/// An integer given as decimal text: for values beyond `PHP_INT_MAX` (up to 2^64 − 1).
#[php_class]
#[php(name = "Cachekit\\BigInt")]
pub struct BigInt {
    /// Decimal text.
    #[php(prop)]
    pub value: String,
}

#[php_impl]
impl BigInt {
    /// Wraps a decimal integer.
    pub fn __construct(value: String) -> BigInt {
        BigInt { value }
    }
    /// The decimal text.
    #[php(name = "__toString")]
    pub fn to_string_(&self) -> String {
        self.value.clone()
    }
}

macro_rules! text_wrapper {
    ($ty:ident, $php:literal, $doc:literal) => {
        #[doc = $doc]
        #[php_class]
        #[php(name = $php)]
        pub struct $ty {
            /// The ISO-8601 / canonical text.
            #[php(prop)]
            pub value: String,
        }

        #[php_impl]
        impl $ty {
            /// Wraps the text (validated when the value is used).
            pub fn __construct(value: String) -> $ty {
                $ty { value }
            }
            /// The text.
            #[php(name = "__toString")]
            pub fn to_string_(&self) -> String {
                self.value.clone()
            }
        }
    };
}

text_wrapper!(Uuid, "Cachekit\\Uuid", "A UUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`).");
text_wrapper!(Date, "Cachekit\\Date", "A calendar date, `YYYY-MM-DD` (Python `date`).");
text_wrapper!(Time, "Cachekit\\Time", "A time of day, `HH:MM:SS[.ffffff][±HH:MM]` (Python `time`).");
text_wrapper!(
    NaiveDateTime,
    "Cachekit\\DateTime",
    "A datetime as ISO-8601 text, naive or aware (Python `datetime`); aware ones also map from `DateTimeInterface`."
);

/// An unordered set (interop args only).
#[php_class]
#[php(name = "Cachekit\\Set")]
pub struct Set {
    pub(crate) items: Zval,
}

#[php_impl]
impl Set {
    /// Wraps a list of members.
    pub fn __construct(items: &Zval) -> Set {
        Set { items: items.shallow_clone() }
    }
    /// The members, as a list.
    #[php(getter)]
    pub fn items(&self) -> Zval {
        self.items.shallow_clone()
    }
}

/// A map as ordered `[key, value]` pairs: any key types, order kept exactly.
#[php_class]
#[php(name = "Cachekit\\Map")]
pub struct Map {
    pub(crate) entries: Zval,
}

#[php_impl]
impl Map {
    /// Wraps `[[key, value], ...]`.
    pub fn __construct(entries: &Zval) -> Map {
        Map { entries: entries.shallow_clone() }
    }
    /// The `[key, value]` pairs, in order.
    #[php(getter)]
    pub fn entries(&self) -> Zval {
        self.entries.shallow_clone()
    }
}
