DROP INDEX drafts_open_review_1, drafts_open_proofread_1, drafts_open_review_2,
    drafts_open_proofread_2, drafts_open_review_3, drafts_open_proofread_3, drafts_open_leader;
