//! [`Profiles`]: request options and key recipes an engine registers once and then refers to
//! by number, so each call of a wrapped function passes two numbers, not option objects.

use cachekit::engine::Request;
use cachekit::keys::KeyRecipe;
use cachekit::{Error, ErrorKind, Value};

use crate::config;
use crate::host::Host;
use crate::opts::Opts;

/// The registered request profiles and key recipes of one engine.
#[derive(Default)]
pub struct Profiles {
    requests: Vec<Request>,
    /// Each recipe with the number of the request profile its calls use.
    recipes: Vec<(KeyRecipe, usize)>,
}

impl Profiles {
    /// No profiles yet.
    pub fn new() -> Profiles {
        Profiles::default()
    }

    /// A request for `key` with `opts`: request options, or the number of a registered
    /// profile (see [`config::request`]).
    pub fn request<H: Host + Clone>(&self, host: &H, key: &H::V, opts: &H::V) -> Result<Request, H::Err> {
        config::request(host, key, opts, &self.requests)
    }

    /// Registers request options (`{mode, namespace, ttl, tags}`); returns the number later
    /// calls pass instead of the object.
    pub fn add_request<H: Host + Clone>(&mut self, host: &H, opts: &H::V) -> Result<u32, H::Err> {
        let placeholder = host.new_string("")?;
        let req = config::request(host, &placeholder, opts, &self.requests)?;
        Ok(self.push_request(req))
    }

    /// Registers a request profile already read (its key is ignored); returns its number.
    pub fn push_request(&mut self, req: Request) -> u32 {
        self.requests.push(req);
        (self.requests.len() - 1) as u32
    }

    /// Registers a wrapped function's key recipe (see [`config::key_recipe`]) with the
    /// request profile `profile`; returns the number [`Profiles::call`] takes.
    pub fn add_recipe<H: Host + Clone>(&mut self, spec: &Opts<H>, profile: u32) -> Result<u32, H::Err> {
        self.check_profile(profile)?;
        Ok(self.push_recipe(config::key_recipe(spec)?, profile)?)
    }

    /// Registers a key recipe already read with the request profile `profile`.
    pub fn push_recipe(&mut self, recipe: KeyRecipe, profile: u32) -> Result<u32, Error> {
        self.check_profile(profile)?;
        self.recipes.push((recipe, profile as usize));
        Ok((self.recipes.len() - 1) as u32)
    }

    fn check_profile(&self, profile: u32) -> Result<(), Error> {
        if profile as usize >= self.requests.len() {
            return Err(Error::new(ErrorKind::InvalidArgument, format!("unknown request profile {profile}")));
        }
        Ok(())
    }

    /// The request of one call of a wrapped function: the key of `args` by recipe `recipe`,
    /// with the options of the recipe's profile.
    pub fn call(&self, recipe: u32, args: &[Value]) -> Result<Request, Error> {
        let Some((keying, profile)) = self.recipes.get(recipe as usize) else {
            return Err(Error::new(ErrorKind::InvalidArgument, format!("unknown key profile {recipe}")));
        };
        Ok(Request { key: keying.key(args)?, ..self.requests[*profile].clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cachekit::ttl::Ttl;

    #[test]
    fn a_call_takes_its_key_from_the_recipe_and_its_options_from_the_profile() {
        let mut p = Profiles::new();
        let mut opts = Request::new(String::new());
        opts.ttl = Some(Ttl::from_secs_f64(60.0).unwrap());
        opts.tags = vec!["users".into()];
        let profile = p.push_request(opts);
        let interop = KeyRecipe::Interop { namespace: "users".into(), operation: "get_user".into() };
        let recipe = p.push_recipe(interop.clone(), profile).unwrap();
        let req = p.call(recipe, &[Value::Int(42)]).unwrap();
        assert_eq!(req.key, interop.key(&[Value::Int(42)]).unwrap());
        assert!(req.key.starts_with("users:get_user:"), "{}", req.key);
        assert_eq!(req.ttl, Some(Ttl::from_secs_f64(60.0).unwrap()));
        assert_eq!(req.tags, vec!["users".to_owned()]);
        // Another argument, another key; the same profile.
        assert_ne!(p.call(recipe, &[Value::Int(43)]).unwrap().key, req.key);
    }

    #[test]
    fn unknown_numbers_are_invalid_arguments() {
        let mut p = Profiles::new();
        let recipe = KeyRecipe::Interop { namespace: "n".into(), operation: "o".into() };
        let e = p.push_recipe(recipe, 0).unwrap_err();
        assert_eq!((e.kind(), e.message()), (ErrorKind::InvalidArgument, "unknown request profile 0"));
        let e = p.call(3, &[]).unwrap_err();
        assert_eq!((e.kind(), e.message()), (ErrorKind::InvalidArgument, "unknown key profile 3"));
    }
}
