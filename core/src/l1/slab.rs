//! A slab: a `Vec` of cells addressed by `u32` ids, with a free list threaded through the
//! vacant cells. Ids stay stable while other cells come and go, so the SIEVE list, the key
//! table and the label lists can link by id instead of by pointer (no `unsafe`, no `Rc`).
//! Growth is explicit ([`Slab::reserve_to`]) so the L1 can charge a larger block to the budget
//! before it is allocated.

use std::mem::size_of;

use super::cost::array_cost;

/// The id that means "none" in every link of the L1.
pub(crate) const NIL: u32 = u32::MAX;

enum Cell<T> {
    Full(T),
    Free(u32),
}

/// Cells of `T` with stable ids and a free list.
pub(crate) struct Slab<T> {
    cells: Vec<Cell<T>>,
    free: u32,
    len: usize,
}

impl<T> Slab<T> {
    /// An empty slab with no allocation.
    pub(crate) const fn new() -> Slab<T> {
        Slab { cells: Vec::new(), free: NIL, len: 0 }
    }

    /// An empty slab with room for exactly `capacity` values.
    pub(crate) fn with_capacity(capacity: usize) -> Slab<T> {
        let mut s = Slab::new();
        s.reserve_to(capacity);
        s
    }

    /// Values held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Values the slab can hold without allocating.
    pub(crate) fn capacity(&self) -> usize {
        self.cells.capacity()
    }

    /// Cells ever used (full or free); ids are below this.
    pub(crate) fn cells(&self) -> usize {
        self.cells.len()
    }

    /// Bytes of one cell (a value or a free-list link).
    #[cfg(test)]
    pub(crate) const fn cell_size() -> usize {
        size_of::<Cell<T>>()
    }

    /// Heap bytes of the cell array at a given capacity.
    pub(crate) const fn cost_at(capacity: usize) -> usize {
        array_cost(capacity, size_of::<Cell<T>>())
    }

    /// Heap bytes of the cell array now.
    pub(crate) fn cost(&self) -> usize {
        Self::cost_at(self.capacity())
    }

    /// The capacity after making room for `additional` more values: unchanged when they fit,
    /// else at least doubled (amortized O(1) inserts).
    pub(crate) fn grown_capacity(&self, additional: usize) -> usize {
        let need = self.len + additional;
        let cap = self.capacity();
        if need <= cap { cap } else { need.max(cap * 2).max(4) }
    }

    /// Grows the cell array to exactly `capacity` (no-op when already that large).
    pub(crate) fn reserve_to(&mut self, capacity: usize) {
        assert!(capacity < NIL as usize, "slab ids are u32");
        if capacity > self.cells.capacity() {
            self.cells.reserve_exact(capacity - self.cells.len());
        }
    }

    /// Stores `value` and returns its id. The caller has made room (see
    /// [`Slab::grown_capacity`]); an unplanned allocation here would escape the budget.
    pub(crate) fn insert(&mut self, value: T) -> u32 {
        self.len += 1;
        if self.free != NIL {
            let id = self.free;
            match std::mem::replace(&mut self.cells[id as usize], Cell::Full(value)) {
                Cell::Free(next) => self.free = next,
                Cell::Full(_) => unreachable!("free list points at a full cell"),
            }
            id
        } else {
            debug_assert!(self.cells.len() < self.cells.capacity(), "slab insert without reserved room");
            self.cells.push(Cell::Full(value));
            (self.cells.len() - 1) as u32
        }
    }

    /// Removes and returns the value at `id`; panics if there is none (a broken invariant).
    pub(crate) fn remove(&mut self, id: u32) -> T {
        match std::mem::replace(&mut self.cells[id as usize], Cell::Free(self.free)) {
            Cell::Full(v) => {
                self.free = id;
                self.len -= 1;
                v
            }
            Cell::Free(next) => {
                self.cells[id as usize] = Cell::Free(next);
                panic!("slab: remove of a free cell {id}")
            }
        }
    }

    /// The value at `id`, if the cell is full.
    #[inline]
    pub(crate) fn get(&self, id: u32) -> Option<&T> {
        match self.cells.get(id as usize) {
            Some(Cell::Full(v)) => Some(v),
            _ => None,
        }
    }

    /// The value at `id`, mutably, if the cell is full.
    #[inline]
    pub(crate) fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        match self.cells.get_mut(id as usize) {
            Some(Cell::Full(v)) => Some(v),
            _ => None,
        }
    }

    /// The value at `id`; panics if there is none (a broken invariant).
    #[inline]
    pub(crate) fn at(&self, id: u32) -> &T {
        self.get(id).expect("slab: dangling id")
    }

    /// The value at `id`, mutably; panics if there is none (a broken invariant).
    #[inline]
    pub(crate) fn at_mut(&mut self, id: u32) -> &mut T {
        self.get_mut(id).expect("slab: dangling id")
    }

    /// Every full cell with its id.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.cells.iter().enumerate().filter_map(|(i, c)| match c {
            Cell::Full(v) => Some((i as u32, v)),
            Cell::Free(_) => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_reused() {
        let mut s = Slab::with_capacity(4);
        let a = s.insert("a");
        let b = s.insert("b");
        let c = s.insert("c");
        assert_eq!(s.remove(b), "b");
        assert_eq!(s.len(), 2);
        assert_eq!(*s.at(a), "a");
        assert_eq!(*s.at(c), "c");
        assert!(s.get(b).is_none());
        let d = s.insert("d");
        assert_eq!(d, b, "the freed cell is reused");
        assert_eq!(s.iter().map(|(_, v)| *v).collect::<Vec<_>>(), ["a", "d", "c"]);
        assert_eq!(s.capacity(), 4);
    }

    #[test]
    fn growth_is_planned_and_exact() {
        let mut s: Slab<u64> = Slab::new();
        assert_eq!(s.cost(), 0);
        assert_eq!(s.grown_capacity(1), 4);
        s.reserve_to(4);
        assert_eq!(s.capacity(), 4);
        for i in 0..4 {
            s.insert(i);
        }
        assert_eq!(s.grown_capacity(0), 4);
        assert_eq!(s.grown_capacity(1), 8);
        assert_eq!(s.grown_capacity(9), 13);
        s.reserve_to(8);
        assert_eq!(s.capacity(), 8);
        assert_eq!(s.cost(), Slab::<u64>::cost_at(8));
    }

    #[test]
    #[should_panic(expected = "free cell")]
    fn double_remove_panics() {
        let mut s = Slab::with_capacity(1);
        let a = s.insert(1u8);
        s.remove(a);
        s.remove(a);
    }
}
