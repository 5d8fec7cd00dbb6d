/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * intel-ipsec-mb backend.
 *
 * AES-GCM goes through the direct API, one call per op: intel-ipsec-mb's
 * GCM is single-buffer in any case and the direct call skips the job
 * manager (measured 1.3-2x faster than the job/burst path here).
 *
 * ChaCha20-Poly1305 goes through the job API, where the library can run
 * several buffers in parallel lanes: every ChaCha op of a burst is
 * submitted, then the queue is flushed once at the end. Completed jobs
 * are matched back to their op through user_data, never by position.
 * (In 1.3 the multi-lane ChaCha20-Poly1305 path is AVX-512 only; on AVX2
 * the job manager completes each job inside its submit, so the same code
 * simply sees every job come back at once.)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include "aead.h"
#include "aead_priv.h"

struct imb_engine {
	IMB_MGR *mgr;
	/* decrypt: tags computed by the library, compared with op->tag */
	uint8_t tags[AEAD_MAX_BURST][AEAD_TAG_LEN];
};

/*
 * Key expansion needs an IMB_MGR (for the arch-specific function
 * pointers) but is control-plane work that must not borrow a worker's
 * engine. One manager, created on first use, serves every key_create in
 * the process; its expansion functions touch no manager state, so
 * concurrent use is safe. All managers here are initialized with the same
 * flags on the same CPU, so they pick the same arch and the GCM key data
 * layout (which differs between archs) matches the engines'.
 */
static IMB_MGR *key_mgr;
static pthread_once_t key_mgr_once = PTHREAD_ONCE_INIT;

static IMB_MGR *
mgr_create(IMB_ARCH *arch)
{
	IMB_MGR *mgr;

	mgr = alloc_mb_mgr(0);
	if (mgr == NULL)
		return NULL;
	init_mb_mgr_auto(mgr, arch);
	if (imb_get_errno(mgr) != 0) {
		free_mb_mgr(mgr);
		return NULL;
	}
	return mgr;
}

static void
key_mgr_init(void)
{
	key_mgr = mgr_create(NULL);
}

static const char *
arch_name(IMB_ARCH arch)
{
	switch (arch) {
	case IMB_ARCH_NOAESNI:
		return "no-aesni";
	case IMB_ARCH_SSE:
		return "sse";
	case IMB_ARCH_AVX:
		return "avx";
	case IMB_ARCH_AVX2:
		return "avx2";
	case IMB_ARCH_AVX512:
		return "avx512";
	default:
		return "unknown";
	}
}

static int
imb_engine_init(struct aead_engine *e)
{
	struct imb_engine *ie;
	IMB_ARCH arch = IMB_ARCH_NONE;
	uint64_t f;

	ie = calloc(1, sizeof(*ie));
	if (ie == NULL)
		return -1;
	ie->mgr = mgr_create(&arch);
	if (ie->mgr == NULL) {
		free(ie);
		return -1;
	}
	f = ie->mgr->features;
	snprintf(e->desc, sizeof(e->desc), "intel-ipsec-mb %s %s%s%s%s",
		 imb_get_version_str(), arch_name(arch),
		 (f & IMB_FEATURE_AESNI) ? " aesni" : "",
		 (f & IMB_FEATURE_VAES) ? " vaes" : "",
		 (f & IMB_FEATURE_VPCLMULQDQ) ? " vpclmulqdq" : "");
	e->priv = ie;
	return 0;
}

static void
imb_engine_fini(struct aead_engine *e)
{
	struct imb_engine *ie = e->priv;

	if (ie == NULL)
		return;
	free_mb_mgr(ie->mgr);
	/* the job slots held key pointers and tags; nothing secret, but
	 * the scratch tags are cheap to clear */
	explicit_bzero(ie->tags, sizeof(ie->tags));
	free(ie);
	e->priv = NULL;
}

static int
imb_key_init(struct aead_key *k, const uint8_t *key)
{
	pthread_once(&key_mgr_once, key_mgr_init);

	switch (k->alg) {
	case AEAD_AES128_GCM:
		if (key_mgr == NULL)
			return -1;
		IMB_AES128_GCM_PRE(key_mgr, key, &k->u.gcm);
		return 0;
	case AEAD_AES256_GCM:
		if (key_mgr == NULL)
			return -1;
		IMB_AES256_GCM_PRE(key_mgr, key, &k->u.gcm);
		return 0;
	case AEAD_CHACHA20_POLY1305:
		/* the ChaCha20 key schedule is the key itself */
		memcpy(k->u.raw, key, k->key_len);
		return 0;
	default:
		return -1;
	}
}

static void
gcm_op(IMB_MGR *mgr, struct aead_op *op, int enc)
{
	const struct aead_key *k = op->key;
	struct gcm_context_data ctx;
	uint8_t tag[AEAD_TAG_LEN];

	if (enc) {
		if (k->alg == AEAD_AES128_GCM)
			IMB_AES128_GCM_ENC(mgr, &k->u.gcm, &ctx, op->data,
					   op->data, op->len, op->nonce,
					   op->aad, op->aad_len, op->tag,
					   AEAD_TAG_LEN);
		else
			IMB_AES256_GCM_ENC(mgr, &k->u.gcm, &ctx, op->data,
					   op->data, op->len, op->nonce,
					   op->aad, op->aad_len, op->tag,
					   AEAD_TAG_LEN);
		return;
	}
	if (k->alg == AEAD_AES128_GCM)
		IMB_AES128_GCM_DEC(mgr, &k->u.gcm, &ctx, op->data, op->data,
				   op->len, op->nonce, op->aad, op->aad_len,
				   tag, AEAD_TAG_LEN);
	else
		IMB_AES256_GCM_DEC(mgr, &k->u.gcm, &ctx, op->data, op->data,
				   op->len, op->nonce, op->aad, op->aad_len,
				   tag, AEAD_TAG_LEN);
	if (unlikely(!aead_tag_equal(tag, op->tag)))
		op->status = AEAD_EAUTH;
}

/* Records the outcome of one finished ChaCha20-Poly1305 job in its op. */
static void
chacha_complete(const IMB_JOB *job)
{
	struct aead_op *op = job->user_data;

	if (unlikely(job->status != IMB_STATUS_COMPLETED)) {
		/* rejected by the library's own checks: treat as bad op */
		op->status = AEAD_EINVAL;
		return;
	}
	if (job->cipher_direction == IMB_DIR_DECRYPT &&
	    unlikely(!aead_tag_equal(job->auth_tag_output, op->tag)))
		op->status = AEAD_EAUTH;
}

/*
 * Queues one op. tag is where the library writes the tag: op->tag for
 * encrypt, a scratch slot for decrypt. Whatever jobs the submission
 * completes (not necessarily this one) are recorded right away.
 */
static void
chacha_submit(IMB_MGR *mgr, struct aead_op *op, int enc, uint8_t *tag)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(mgr);

	job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
	job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
	if (enc) {
		job->cipher_direction = IMB_DIR_ENCRYPT;
		job->chain_order = IMB_ORDER_CIPHER_HASH;
	} else {
		job->cipher_direction = IMB_DIR_DECRYPT;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
	}
	job->enc_keys = op->key->u.raw;
	job->dec_keys = op->key->u.raw;
	job->key_len_in_bytes = IMB_KEY_256_BYTES;
	job->src = op->data;
	job->dst = op->data;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = op->len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->len;
	job->iv = op->nonce;
	job->iv_len_in_bytes = AEAD_NONCE_LEN;
	job->u.CHACHA20_POLY1305.aad = op->aad;
	job->u.CHACHA20_POLY1305.aad_len_in_bytes = op->aad_len;
	job->u.CHACHA20_POLY1305.ctx = NULL;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = AEAD_TAG_LEN;
	job->user_data = op;
	job->user_data2 = NULL;

	job = IMB_SUBMIT_JOB(mgr);
	while (job != NULL) {
		chacha_complete(job);
		job = IMB_GET_COMPLETED_JOB(mgr);
	}
}

static unsigned
imb_burst(struct aead_engine *e, struct aead_op *ops, unsigned n, int enc)
{
	struct imb_engine *ie = e->priv;
	IMB_MGR *mgr = ie->mgr;
	IMB_JOB *job;
	unsigned i, bad = 0;

	for (i = 0; i < n; i++) {
		struct aead_op *op = &ops[i];

		op->status = aead_op_check(op, AEAD_IMPL_IMB);
		if (unlikely(op->status != AEAD_OK))
			continue;
		if (op->key->alg == AEAD_CHACHA20_POLY1305)
			chacha_submit(mgr, op, enc, enc ? op->tag : ie->tags[i]);
		else
			gcm_op(mgr, op, enc);
	}
	/* the queue is empty between bursts: no job outlives its op */
	while ((job = IMB_FLUSH_JOB(mgr)) != NULL)
		chacha_complete(job);

	for (i = 0; i < n; i++)
		bad += ops[i].status != AEAD_OK;
	return bad;
}

const struct aead_backend aead_imb_backend = {
	.engine_init = imb_engine_init,
	.engine_fini = imb_engine_fini,
	.key_init = imb_key_init,
	.burst = imb_burst,
};
