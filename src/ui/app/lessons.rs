//! The playground's side of a lesson: arming its run (paused at the start until a prediction,
//! stopping at the lesson's end), taking the prediction and a variation, and settling the run once
//! it reaches the end (the answer itself is `view::lesson`'s).

use super::App;

impl App {
    /// A lesson's run starts afresh: it waits for a prediction, then plays to the lesson's end.
    /// A run of another scenario (an edit, another preset, an opened file) leaves the lesson: it
    /// is the learner's own experiment, and the lesson's texts are not about it.
    pub(super) fn arm_lesson(&mut self) {
        if self.lesson.as_ref().is_some_and(|l| !l.runs(self.session.scenario())) {
            self.lesson = None;
        }
        if let Some(l) = &mut self.lesson {
            l.outcome = None;
            self.session.set_speed(l.speed());
            self.session.stop_at(l.stop_at());
            self.session.playing = l.may_play();
        }
    }

    pub(super) fn predict(&mut self, choice: usize) {
        if let Some(l) = &mut self.lesson {
            l.predict(choice);
            self.session.playing = l.may_play();
        }
    }

    /// A "try this" variation (`None`: as written): a new run of it, asking again.
    pub(super) fn lesson_variation(&mut self, variation: Option<usize>) {
        match self.lesson.as_ref().map(|l| l.with_variation(variation)) {
            Some(Ok(run)) => {
                let Some(scenario) = run.scenario().cloned() else { return };
                self.lesson = Some(run);
                self.load(self.session.preset(), scenario, self.session.seed());
                self.draw_chart();
            }
            Some(Err(e)) => self.notices.push(e),
            None => {}
        }
    }

    /// Once the run reaches the lesson's end: measure it, let it play on, remember the lesson as
    /// finished. True when it settled now (the card changes).
    pub(super) fn settle_lesson(&mut self) -> bool {
        let Some(l) = &mut self.lesson else { return false };
        if !l.settle_if_due(&self.session) {
            return false;
        }
        self.session.stop_at(None);
        crate::ui::lesson::finish(l.lesson.id);
        true
    }
}
