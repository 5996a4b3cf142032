/** Role definitions and assignments in the in-memory store: readers over a state, writes as pure functions of it. */
import type { RoleAssignment, RoleDefinition } from '../../domain/rbac/role-model.ts';
import type { RoleReader } from '../store.ts';
import type { MemoryState } from './memory-state.ts';

const byName = <T extends { name: string }>(items: Iterable<T>) => [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

export function memoryRoleReader(state: () => MemoryState): RoleReader {
  return {
    getRoleDefinition: async (name) => state().roleDefinitions.get(name.toLowerCase()),
    listRoleDefinitions: async () => byName(state().roleDefinitions.values()),
    getRoleAssignment: async (name) => state().roleAssignments.get(name.toLowerCase()),
    listRoleAssignments: async (filter = {}) =>
      byName([...state().roleAssignments.values()].filter((a) => filter.principalId === undefined || a.principalId === filter.principalId)),
  };
}

export const RoleWrites = {
  putDefinition: (definition: RoleDefinition, maxCustom?: number) => (state: MemoryState): 'stored' | 'limit-reached' => {
    const isNew = !state.roleDefinitions.has(definition.name.toLowerCase());
    if (maxCustom !== undefined && isNew && state.roleDefinitions.size >= maxCustom) return 'limit-reached';
    state.roleDefinitions.set(definition.name.toLowerCase(), Object.freeze(structuredClone(definition)));
    return 'stored';
  },
  deleteDefinition: (name: string) => (state: MemoryState): RoleDefinition | undefined => {
    const existing = state.roleDefinitions.get(name.toLowerCase());
    state.roleDefinitions.delete(name.toLowerCase());
    return existing;
  },
  addAssignment: (assignment: RoleAssignment, maxAtScope?: number) => (state: MemoryState): 'added' | 'name-taken' | 'duplicate' | 'limit-reached' => {
    const name = assignment.name.toLowerCase();
    if (state.roleAssignments.has(name)) return 'name-taken';
    const same = [...state.roleAssignments.values()].some(
      (a) => a.principalId === assignment.principalId && a.roleDefinitionName === assignment.roleDefinitionName && a.scope === assignment.scope,
    );
    if (same) return 'duplicate';
    if (maxAtScope !== undefined && [...state.roleAssignments.values()].filter((a) => a.scope === assignment.scope).length >= maxAtScope) return 'limit-reached';
    state.roleAssignments.set(name, Object.freeze({ ...assignment, name }));
    return 'added';
  },
  deleteAssignment: (name: string) => (state: MemoryState): RoleAssignment | undefined => {
    const existing = state.roleAssignments.get(name.toLowerCase());
    state.roleAssignments.delete(name.toLowerCase());
    return existing;
  },
  isAssigned: (roleDefinitionName: string) => (state: MemoryState): boolean =>
    [...state.roleAssignments.values()].some((a) => a.roleDefinitionName === roleDefinitionName.toLowerCase()),
};
