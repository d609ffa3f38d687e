//! A feature's steps: what accepting one of its windows does next.
//!
//! Why a trait object and not a tag enum: with a central `FormFor` /
//! `ChoiceFor` enum every feature needed an arm in every dispatch, and a
//! catch-all arm turned a forgotten one into a window that silently
//! closed. A [`Next`] is the feature's own value (holding what the step
//! needs, e.g. the NIC chosen before), so the dispatch in `app::flow` has
//! one generic path and no per-feature arm.

use std::any::Any;
use std::fmt;

use super::task::{Reply, Task};
use crate::app::session::RootSession;
use crate::app::window::After;
use crate::app::App;
use crate::kit::Form;

/// What the operator (or a task) gave the step.
#[derive(Debug)]
pub enum Input {
    /// A choice list: the chosen row.
    Chosen(usize),
    /// A form was submitted; the step validates it and reopens it with
    /// the errors under their fields, or goes on.
    Form(Form),
    /// Y on a confirmation, or the exact typed phrase.
    Confirmed,
    /// The reply of the task this step waited on.
    Reply(Reply),
}

/// One step of a feature.
pub trait Step: StepClone + fmt::Debug + Send + Sync + 'static {
    /// The window of this step was accepted.
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input);
    /// Where Esc on this step's window leads.
    fn cancel_to(&self) -> After {
        After::Menu
    }
}

/// Cloning and inspecting steps behind `dyn` (implemented for every
/// `Step + Clone`).
pub trait StepClone {
    fn clone_box(&self) -> Box<dyn Step>;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Step + Clone> StepClone for T {
    fn clone_box(&self) -> Box<dyn Step> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The step a window leads to.
pub struct Next(Box<dyn Step>);

impl Next {
    pub fn new(step: impl Step + Clone) -> Next {
        Next(Box::new(step))
    }

    /// Runs the step.
    pub fn accept(self, app: &mut App, root: &RootSession, input: Input) {
        self.0.accept(app, root, input)
    }

    pub fn cancel_to(&self) -> After {
        self.0.cancel_to()
    }

    /// The step as its concrete type (tests look inside).
    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref()
    }
}

impl Clone for Next {
    fn clone(&self) -> Next {
        Next(self.0.clone_box())
    }
}

impl fmt::Debug for Next {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A confirmation (Y or the typed phrase) starts this task; its result
/// shows in the generic result window.
#[derive(Debug, Clone)]
pub struct Start(pub Task);

impl Step for Start {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        if let Input::Confirmed = input {
            app.start_task(root, self.0, None);
        }
    }
}
