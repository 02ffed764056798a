"""The course's small shared package. The rule: it holds what several labs use, plus the final version of what a lab
builds in drafts (so the lab can prove its draft equals it); one module per concept, one way to do each thing.

Map (the README's "The utils package" section also says which labs import each; a test keeps both true):

- `profiles`: the offline/hub switch, model overrides, loading with a distinct pad token, `claim`
- `device`: which device, and the one mixed-precision rule
- `seeding`: one seed for everything
- `data`: the course datasets, validated line by line
- `batching`: padding by position, left padding for generation
- `training`: the training loop on accelerate, and the ITL_MAX_STEPS cap
- `evaluation`: classification metrics and the one batched generation path
- `sft`: instruction prompts, prompt masking, scoring answers (lab 03)
- `chat`: conversations, `(ids, mask)` from spans, chat tokens, ChatBot; templates in chat_templates/ (lab 04)
- `preference`: preference pairs and the DPO loss (lab 09)
- `decontamination`: n-gram overlap, decontamination, deduplication (lab 10)
- `pii`: scrubbing personal details (lab 10b)
- `packing`: padding-free batches and packing for SFT (lab 11)
- `tool_use`: tool calls, a safe calculator, ToolChatBot (lab 12)
- `stats`: Wilson intervals
- `plotting`, `results`, `paths`: loss curves, recorded figures, where the files are
- `checks` and `exercises/`: exercise checks, the reference each lab carries on with, the one strict switch
- `tiny_models`: the one factory of tiny random models, for checks and tests
"""
