package sandbox

import "time"

// How records enter the store outside the Member API: the seed (seed.go)
// and the tests build the community with these. They take the store's lock
// themselves and assign the next id of each kind.

// addMember stores m with the next member and user ids and returns its id.
func (st *store) addMember(m member) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	m.id, m.userID = st.nextMemberID, st.nextUserID
	st.nextMemberID++
	st.nextUserID++
	st.members[m.id] = &m
	st.memberOrder = append(st.memberOrder, m.id)
	return m.id
}

// addSpace stores sp under its own id (spaces keep fixed, well-known ids).
func (st *store) addSpace(sp space) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sp.members = map[int64]int64{}
	st.spaces[sp.id] = &sp
	st.spaceOrder = append(st.spaceOrder, sp.id)
}

// join makes memberID a member of spaceID; joining twice changes nothing.
func (st *store) join(spaceID, memberID int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sp := st.spaces[spaceID]
	if _, ok := sp.members[memberID]; ok {
		return
	}
	sp.members[memberID] = st.nextSpaceMemberID
	st.nextSpaceMemberID++
}

// addPost stores p with the next post id and returns it.
func (st *store) addPost(p post) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.addPostLocked(p)
}

// addPostLocked is addPost for a caller holding the lock.
func (st *store) addPostLocked(p post) int64 {
	p.id = st.nextPostID
	st.nextPostID++
	if p.likes == nil {
		p.likes = map[int64]time.Time{}
	}
	if p.followers == nil {
		p.followers = map[int64]int64{}
	}
	if _, ok := p.followers[p.authorID]; !ok && p.authorID != 0 {
		// Circle makes an author follow their own post.
		p.followers[p.authorID] = st.nextFollowerID
		st.nextFollowerID++
	}
	st.posts[p.id] = &p
	st.postOrder = append(st.postOrder, p.id)
	return p.id
}

// addComment stores c (a reply when c.parentID is set) with the next comment
// id and returns it.
func (st *store) addComment(c comment) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.addCommentLocked(c)
}

// addCommentLocked is addComment for a caller holding the lock.
func (st *store) addCommentLocked(c comment) int64 {
	c.id = st.nextCommentID
	st.nextCommentID++
	if c.likes == nil {
		c.likes = map[int64]time.Time{}
	}
	st.comments[c.id] = &c
	if c.parentID != 0 {
		parent := st.comments[c.parentID]
		parent.replies = append(parent.replies, c.id)
	} else {
		p := st.posts[c.postID]
		p.comments = append(p.comments, c.id)
	}
	return c.id
}

// likePost records that memberID liked postID at the given time.
func (st *store) likePost(postID, memberID int64, at time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.posts[postID].likes[memberID] = at
}

// likeComment records that memberID liked commentID at the given time.
func (st *store) likeComment(commentID, memberID int64, at time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.comments[commentID].likes[memberID] = at
}

// rsvp sets memberID's RSVP to an event post, replacing an earlier one.
func (st *store) rsvp(postID, memberID int64, status string, at time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	ev := st.posts[postID].event
	for i := range ev.attendees {
		if ev.attendees[i].memberID == memberID {
			ev.attendees[i].status, ev.attendees[i].at = status, at
			return
		}
	}
	ev.attendees = append(ev.attendees, attendee{id: st.nextAttendeeID, memberID: memberID, status: status, at: at})
	st.nextAttendeeID++
}
