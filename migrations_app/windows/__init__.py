"""Change windows: when migrations may start (`models`), scheduling migrations, batches and
evacuation plans in a window or at a time, and the beat task's work that starts them, refuses
those that would overrun and reports what ran over (`services`)."""
