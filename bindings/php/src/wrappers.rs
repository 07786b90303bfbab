//! Value wrapper classes: what a PHP value cannot say on its own (bytes that happen to be
//! valid UTF-8, integers beyond `PHP_INT_MAX`, naive datetimes, dates, times, UUIDs, sets,
//! maps whose keys are not strings or ints or whose order must survive).

use cachekit::temporal::{Date as CDate, DateTime as CDateTime, Time as CTime};
use cachekit::value::{Value, parse_uuid};
use cachekit::{Error, ErrorKind};
use ext_php_rs::convert::{FromZval, IntoZval};
use ext_php_rs::exception::PhpException;
use ext_php_rs::flags::ClassFlags;
use ext_php_rs::flags::DataType;
use ext_php_rs::prelude::*;
use ext_php_rs::types::Zval;
use ext_php_rs::zend::ce;

use crate::errors::{R, ck};

/// Any PHP value, as a property's getter returns it and its setter receives it (ext-php-rs
/// needs one type for both, and `Zval` itself is not one it can receive).
pub struct PropValue(Zval);

impl IntoZval for PropValue {
    const TYPE: DataType = DataType::Mixed;
    const NULLABLE: bool = true;
    fn set_zval(self, zv: &mut Zval, _persistent: bool) -> ext_php_rs::error::Result<()> {
        *zv = self.0;
        Ok(())
    }
}

impl FromZval<'_> for PropValue {
    const TYPE: DataType = DataType::Mixed;
    fn from_zval(zval: &Zval) -> Option<Self> {
        Some(PropValue(zval.shallow_clone()))
    }
}

/// The wrapper classes are final, and refuse dynamic properties.
const WRAPPER: ClassFlags = ClassFlags::Final.union(ClassFlags::NoDynamicProperties);

/// The `Error` PHP throws for a write to a readonly property (the wrappers are immutable).
/// A setter throws it itself: ext-php-rs ignores what a setter returns.
fn read_only(class: &str, property: &str) -> PhpException {
    PhpException::new(format!("Cannot modify readonly property {class}::${property}"), 0, ce::error())
}

/// A byte string (`Value::Bytes`) even when it is valid UTF-8.
#[php_class]
#[php(name = "Cachekit\\Bytes")]
#[php(flags = WRAPPER)]
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
    /// Refused: the wrapper is immutable.
    #[php(setter)]
    pub fn set_data(&mut self, _data: ext_php_rs::binary::Binary<u8>) {
        read_only("Cachekit\\Bytes", "data").throw();
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
#[php(flags = WRAPPER)]
pub struct BigInt {
    /// Decimal text.
    pub value: String,
}

impl BigInt {
    /// The core value: the integer the text says. Whether it fits the protocol's range
    /// (−2^63 to 2^64 − 1) is the core's call, when the value is serialized or hashed.
    pub fn core(&self) -> cachekit::Result<Value> {
        match self.value.trim().parse::<i128>() {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => Err(Error::new(ErrorKind::IntegerOutOfRange, format!("{:?} is not an integer", self.value))),
        }
    }
}

#[php_impl]
impl BigInt {
    /// Wraps decimal integer text; text that is no integer is refused here (one outside
    /// [−2^63, 2^64 − 1] when the value is used).
    pub fn __construct(value: String) -> R<BigInt> {
        let b = BigInt { value };
        ck(b.core())?;
        Ok(b)
    }
    /// The decimal text.
    #[php(getter)]
    pub fn value(&self) -> String {
        self.value.clone()
    }
    /// Refused: the wrapper is immutable.
    #[php(setter)]
    pub fn set_value(&mut self, _value: String) {
        read_only("Cachekit\\BigInt", "value").throw();
    }
    /// The decimal text.
    #[php(name = "__toString")]
    pub fn to_string_(&self) -> String {
        self.value.clone()
    }
}

macro_rules! text_wrapper {
    ($ty:ident, $php:literal, $doc:literal, $parse:expr) => {
        #[doc = $doc]
        #[php_class]
        #[php(name = $php)]
        #[php(flags = WRAPPER)]
        pub struct $ty {
            /// The ISO-8601 / canonical text.
            pub value: String,
        }

        impl $ty {
            /// The core value the text says.
            pub fn core(&self) -> cachekit::Result<Value> {
                let parse: fn(&str) -> cachekit::Result<Value> = $parse;
                parse(&self.value)
            }
        }

        #[php_impl]
        impl $ty {
            /// Wraps the text; text that does not parse is refused here.
            pub fn __construct(value: String) -> R<$ty> {
                let w = $ty { value };
                ck(w.core())?;
                Ok(w)
            }
            /// The text.
            #[php(getter)]
            pub fn value(&self) -> String {
                self.value.clone()
            }
            /// Refused: the wrapper is immutable.
            #[php(setter)]
            pub fn set_value(&mut self, _value: String) {
                read_only($php, "value").throw();
            }
            /// The text.
            #[php(name = "__toString")]
            pub fn to_string_(&self) -> String {
                self.value.clone()
            }
        }
    };
}

text_wrapper!(Uuid, "Cachekit\\Uuid", "A UUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`).", |s| parse_uuid(s)
    .map(Value::Uuid));
text_wrapper!(Date, "Cachekit\\Date", "A calendar date, `YYYY-MM-DD` (Python `date`).", |s| CDate::parse(s)
    .map(Value::Date));
text_wrapper!(Time, "Cachekit\\Time", "A time of day, `HH:MM:SS[.ffffff][±HH:MM]` (Python `time`).", |s| {
    CTime::parse(s).map(Value::Time)
});
text_wrapper!(
    NaiveDateTime,
    "Cachekit\\DateTime",
    "A datetime as ISO-8601 text, naive or aware (Python `datetime`); aware ones also map from `DateTimeInterface`.",
    |s| CDateTime::parse(s).map(Value::DateTime)
);

/// An unordered set (interop args only).
#[php_class]
#[php(name = "Cachekit\\Set")]
#[php(flags = WRAPPER)]
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
    pub fn items(&self) -> PropValue {
        PropValue(self.items.shallow_clone())
    }
    /// Refused: the wrapper is immutable.
    #[php(setter)]
    pub fn set_items(&mut self, _items: PropValue) {
        read_only("Cachekit\\Set", "items").throw();
    }
}

/// A map as ordered `[key, value]` pairs: any key types, order kept exactly.
#[php_class]
#[php(name = "Cachekit\\Map")]
#[php(flags = WRAPPER)]
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
    pub fn entries(&self) -> PropValue {
        PropValue(self.entries.shallow_clone())
    }
    /// Refused: the wrapper is immutable.
    #[php(setter)]
    pub fn set_entries(&mut self, _entries: PropValue) {
        read_only("Cachekit\\Map", "entries").throw();
    }
}
