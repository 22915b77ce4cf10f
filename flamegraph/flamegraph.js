// kiln flame graph script (placeholder until the interactive script lands).
"use strict";
