//! [`Host`]: what the value mapping needs of a JavaScript engine API (Node-API in the napi
//! addon, `js-sys` in the WebAssembly build). Each method is one small, checked operation;
//! none of them decides anything about the mapping.

use std::ffi::CStr;

/// What a JavaScript value is, as the mapping first asks (`typeof`, with booleans and numbers
/// read at once).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// `null` or `undefined`.
    Nil,
    /// A boolean and its value.
    Bool(bool),
    /// A number and its value.
    Number(f64),
    /// A string (read with [`Host::string`]).
    String,
    /// A `bigint` (read with [`Host::bigint`]).
    BigInt,
    /// An object that is not a function (arrays, typed arrays, dates, class instances, …).
    Object,
    /// A function.
    Function,
    /// A symbol.
    Symbol,
    /// Anything else the engine reports.
    Other,
}

/// The JavaScript classes the mapping recognises and builds, registered once per runtime by
/// the package's loader (`registerRuntime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The built-in `Map`.
    Map,
    /// The built-in `Set`.
    Set,
    /// The package's `MapEntries` (a map exactly as listed).
    MapEntries,
    /// The package's `Float` (a float with an integral value).
    Float,
    /// The package's `IsoDateTime`.
    IsoDateTime,
    /// The package's `LocalDate`.
    LocalDate,
    /// The package's `LocalTime`.
    LocalTime,
    /// The package's `Uuid`.
    Uuid,
    /// The package's `Ext`.
    Ext,
}

impl Class {
    /// The property of the runtime object (`registerRuntime`) that holds the class.
    pub fn name(self) -> &'static CStr {
        match self {
            Class::Map => c"Map",
            Class::Set => c"Set",
            Class::MapEntries => c"MapEntries",
            Class::Float => c"Float",
            Class::IsoDateTime => c"IsoDateTime",
            Class::LocalDate => c"LocalDate",
            Class::LocalTime => c"LocalTime",
            Class::Uuid => c"Uuid",
            Class::Ext => c"Ext",
        }
    }

    /// Every class, in the order the mapping tests an object against them (also each class's
    /// index: `class as usize`).
    pub const ALL: [Class; 9] = [
        Class::Map,
        Class::Set,
        Class::MapEntries,
        Class::Float,
        Class::IsoDateTime,
        Class::LocalDate,
        Class::LocalTime,
        Class::Uuid,
        Class::Ext,
    ];
}

/// The JavaScript operations the mapping uses, over one engine API. `V` is the engine's value
/// handle; `Err` its error type (a cachekit error, or a pending JavaScript exception).
///
/// An implementation may resolve the registered classes lazily, once per host (a `Cell`).
pub trait Host {
    /// A JavaScript value handle.
    type V: Clone;
    /// The engine's error: a cachekit error converts into it.
    type Err: From<cachekit::Error>;

    // Reading.

    /// What `v` is.
    fn kind(&self, v: &Self::V) -> Result<Kind, Self::Err>;
    /// True for `undefined` (an absent option; `null` is a value there).
    fn is_undefined(&self, v: &Self::V) -> Result<bool, Self::Err>;
    /// The string `v` (a [`Kind::String`]), refused with `invalid_string` when it holds a
    /// lone surrogate (engines' UTF-8 conversions would silently replace it).
    fn string(&self, v: &Self::V) -> Result<String, Self::Err>;
    /// The `bigint` `v` (a [`Kind::BigInt`]), or `None` beyond the range of `i128`.
    fn bigint(&self, v: &Self::V) -> Result<Option<i128>, Self::Err>;
    /// True for an `Array`.
    fn is_array(&self, v: &Self::V) -> Result<bool, Self::Err>;
    /// An array's `length`.
    fn len(&self, array: &Self::V) -> Result<u32, Self::Err>;
    /// `array[i]`.
    fn element(&self, array: &Self::V, i: u32) -> Result<Self::V, Self::Err>;
    /// A copy of the bytes of a `Uint8Array` (a `Buffer` is one) or an `ArrayBuffer`; `None`
    /// for any other value.
    fn bytes(&self, v: &Self::V) -> Result<Option<Vec<u8>>, Self::Err>;
    /// A `Date`'s milliseconds since the epoch; `None` when `v` is not a `Date`.
    fn date_millis(&self, v: &Self::V) -> Result<Option<f64>, Self::Err>;
    /// True when `v`'s prototype is `null` or `Object.prototype` (a plain object).
    fn is_plain_object(&self, v: &Self::V) -> Result<bool, Self::Err>;
    /// The registered class `v` is an instance of (tested in [`Class::ALL`] order), if any.
    fn class_of(&self, v: &Self::V) -> Result<Option<Class>, Self::Err>;
    /// True for a typed array or `DataView` (a view that is not bytes to the mapping).
    fn is_view(&self, v: &Self::V) -> Result<bool, Self::Err>;
    /// An object's own enumerable string keys, in property order, as a JavaScript array.
    fn own_keys(&self, v: &Self::V) -> Result<Self::V, Self::Err>;
    /// `obj[key]` for a key value (one of [`Host::own_keys`]).
    fn get(&self, obj: &Self::V, key: &Self::V) -> Result<Self::V, Self::Err>;
    /// `obj[name]`.
    fn get_named(&self, obj: &Self::V, name: &'static CStr) -> Result<Self::V, Self::Err>;
    /// `Array.from(v)`: a `Map`'s `[key, value]` pairs or a `Set`'s items.
    fn array_from(&self, v: &Self::V) -> Result<Self::V, Self::Err>;
    /// True when `a === b` (cycle detection).
    fn same(&self, a: &Self::V, b: &Self::V) -> Result<bool, Self::Err>;

    // Building.

    /// `null`.
    fn null(&self) -> Result<Self::V, Self::Err>;
    /// A boolean.
    fn boolean(&self, b: bool) -> Result<Self::V, Self::Err>;
    /// A number.
    fn number(&self, x: f64) -> Result<Self::V, Self::Err>;
    /// A `bigint`.
    fn new_bigint(&self, i: i128) -> Result<Self::V, Self::Err>;
    /// A string.
    fn new_string(&self, s: &str) -> Result<Self::V, Self::Err>;
    /// Bytes, as the runtime wants them: a `Buffer` in Node, a `Uint8Array` elsewhere.
    fn new_bytes(&self, b: &[u8]) -> Result<Self::V, Self::Err>;
    /// An array of `len` holes, to be filled with [`Host::set_element`].
    fn new_array(&self, len: usize) -> Result<Self::V, Self::Err>;
    /// `array[i] = x`.
    fn set_element(&self, array: &Self::V, i: u32, x: Self::V) -> Result<(), Self::Err>;
    /// A new plain object.
    fn new_object(&self) -> Result<Self::V, Self::Err>;
    /// `obj[key] = x`, or with `define` an own data property defined without running setters
    /// (so a key such as `__proto__` becomes an ordinary property).
    fn set_property(&self, obj: &Self::V, key: &str, x: Self::V, define: bool) -> Result<(), Self::Err>;
    /// A `Date` at `ms` milliseconds since the epoch.
    fn new_date(&self, ms: f64) -> Result<Self::V, Self::Err>;
    /// `new class(...args)` of a registered class.
    fn construct(&self, class: Class, args: &[Self::V]) -> Result<Self::V, Self::Err>;
}

#[cfg(test)]
mod tests {
    use super::Class;

    #[test]
    fn classes_are_listed_in_index_order_with_distinct_names() {
        for (i, c) in Class::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i, "{c:?} is not at its own index: engines index their class tables by it");
        }
        let mut names: Vec<_> = Class::ALL.iter().map(|c| c.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Class::ALL.len());
    }
}
