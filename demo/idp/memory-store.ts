// Storage for the demo's OpenID Provider: sessions, interactions, codes,
// grants and tokens in one Map per provider, each expiring when
// oidc-provider says. (Its own in-memory adapter warns that it is for quick
// starts only; this one is just as small and says what it is.)

type Payload = Record<string, unknown>;

interface Row {
  payload: Payload;
  expiresAt: number;
}

/** oidc-provider's adapter contract: one instance per model name (Session, AccessToken, ...). */
export interface StoreAdapter {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** A fresh, empty store; pass the returned class as the provider's `adapter`. */
export function memoryStore(now: () => number = Date.now): new (model: string) => StoreAdapter {
  const rows = new Map<string, Row>();

  const live = (key: string): Row | undefined => {
    const row = rows.get(key);
    if (row && row.expiresAt <= now()) {
      rows.delete(key);
      return undefined;
    }
    return row;
  };

  const findWhere = (model: string, test: (p: Payload) => boolean): Payload | undefined => {
    for (const key of [...rows.keys()]) {
      const row = key.startsWith(`${model}:`) ? live(key) : undefined;
      if (row && test(row.payload)) return row.payload;
    }
    return undefined;
  };

  return class MemoryStore implements StoreAdapter {
    constructor(private readonly model: string) {}

    private key(id: string): string {
      return `${this.model}:${id}`;
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      rows.set(this.key(id), { payload, expiresAt: expiresIn ? now() + expiresIn * 1000 : Infinity });
    }

    async find(id: string): Promise<Payload | undefined> {
      return live(this.key(id))?.payload;
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      return findWhere(this.model, (p) => p.uid === uid);
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return findWhere(this.model, (p) => p.userCode === userCode);
    }

    async consume(id: string): Promise<void> {
      const row = live(this.key(id));
      if (row) row.payload.consumed = Math.floor(now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      rows.delete(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [key, row] of rows) {
        if (row.payload.grantId === grantId) rows.delete(key);
      }
    }
  };
}
